#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""MISS upcalls of frames held in different skb layouts, with and without
OVS_DP_F_UNALIGNED, run against the kernel's module and then ours in one boot
(tests/vm/cases/actions-wire.sh).

A tap (no virtio-net header) is a netdev port of a new datapath without flows.
Frames written into it reach the datapath as the tap builds them: opened
O_NONBLOCK, a frame that fits a page is built around a page fragment
(build_skb: head_frag, which an unaligned upcall references rather than
copies); a blocking tap puts the frame into page frags behind a small head.
With OVS_DP_F_UNALIGNED the upcall may carry the packet by reference
(skb_zerocopy) and leaves its attribute unpadded; without it the packet is
copied and padded. Every upcall must hold the frame's bytes exactly, and be
padded or not as the kernel's module pads it.

usage: upcall_zerocopy.py --record FILE   (stock module: write what it sends)
       upcall_zerocopy.py --expect FILE   (ours: compare, PASS/FAIL lines)
"""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import DP_CMD, Cases, miss_upcalls, tap_upcall_datapath  # noqa: E402

PKT_ATTR_PACKET = 1
SIZES = (61, 1001, 3001, 7001)


def frame(size, tag):
    eth = b"\x02\x00\x00\x00\x0a\x02" + b"\x02\x00\x00\x00\x0a\x01" + b"\x08\x00"
    ip_len = size - 14
    src, dst = socket.inet_aton("10.10.0.1"), socket.inet_aton("10.10.0.2")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, tag, 0, 64, 17, 0, src, dst)
    udp = struct.pack("!HHHH", 4000 + tag, 5000, ip_len - 20, 0)
    payload = bytes((i * 7 + tag) & 0xff for i in range(size - len(eth) - len(ip) - len(udp)))
    return eth + ip + udp + payload


def run_one(nonblock, unaligned):
    fd, nl, listener, dp = tap_upcall_datapath("zc0", "zc-dp", (1 if unaligned else 0) | 2, nonblock=nonblock, mtu=9000)
    got = []
    for tag, size in enumerate(SIZES, 1):
        f = frame(size, tag)
        os.write(fd, f)
        ups = [(n, a.get(PKT_ATTR_PACKET, b"")) for n, a in miss_upcalls(listener)]
        ups = [u for u in ups if len(u[1]) == size]
        got.append({"size": size, "nonblock": nonblock, "unaligned": unaligned, "upcalls": len(ups),
                    "bytes_ok": all(p == f for _, p in ups), "padded": [n % 4 == 0 for n, _ in ups]})
    nl.request("ovs_datapath", DP_CMD["DEL"], b"", dp_ifindex=dp.dp_ifindex)
    listener.close()
    os.close(fd)
    return got


def main():
    mode, path = sys.argv[1], sys.argv[2]
    got = [r for nb in (True, False) for ua in (True, False) for r in run_one(nb, ua)]
    print("# upcalls by layout: %s" % json.dumps(got), flush=True)
    if mode == "--record":
        json.dump(got, open(path, "w"))
        return 0 if got else 1
    want = json.load(open(path))
    t = Cases()
    for w, g in zip(want, got):
        name = "%d-byte frame, %s tap, %s datapath" % (
            w["size"], "non-blocking" if w["nonblock"] else "blocking", "unaligned" if w["unaligned"] else "aligned")
        t.ok("the kernel's module sent one upcall of the %s with its bytes" % name,
             w["upcalls"] == 1 and w["bytes_ok"], json.dumps(w))
        t.ok("one upcall of the %s with its bytes, padded as the kernel's module pads it" % name, g == w,
             "ours %s, stock %s" % (json.dumps(g), json.dumps(w)))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
