#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A paced UDP flood from netns ns0 (192.0.2.1) to ns1 (192.0.2.2), counted
at the receiver (tests/vm/cases/vswitchd.sh): one process, a socket in each
namespace. Prints one JSON line: packets sent, packets and bytes received
(bytes as frames on the wire: UDP payload + 42), and the receive rate over
the window [skip, secs) after the first packet was sent, when a meter's
initial burst is spent.

usage: meter_flood.py DPORT PPS SECS PAYLOAD [SKIP]
"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pkt import ROOT_NS, setns  # noqa: E402


def main():
    dport, pps, secs, payload = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    skip = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    setns("/run/netns/ns1")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.bind(("192.0.2.2", dport))
    rx.settimeout(0.5)
    setns("/run/netns/ns0")
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    setns(ROOT_NS)
    arrivals = []
    stop = threading.Event()

    def receive():
        while not stop.is_set():
            try:
                n = len(rx.recv(65536))
            except socket.timeout:
                continue
            arrivals.append((time.monotonic(), n))

    t = threading.Thread(target=receive)
    t.start()
    data = bytes(payload)
    start = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic()
        if now - start >= secs:
            break
        due = int((now - start) * pps) + 1
        while sent < due:
            tx.sendto(data, ("192.0.2.2", dport))
            sent += 1
        time.sleep(0.002)
    time.sleep(1.0)
    stop.set()
    t.join()
    window = [(ts, n) for ts, n in arrivals if start + skip <= ts < start + secs]
    span = secs - skip
    print(json.dumps({
        "sent": sent, "offered_pps": round(sent / secs, 1), "received": len(arrivals),
        "bytes": sum(n + 42 for _, n in arrivals),
        "window_pps": round(len(window) / span, 1),
        "window_Bps": round(sum(n + 42 for _, n in window) / span, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
