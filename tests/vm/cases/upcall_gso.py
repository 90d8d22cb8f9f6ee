#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""MISS upcalls of a UDP GSO (UFO) packet, run against the kernel's module and
then ours in one boot (tests/vm/cases/actions-wire.sh).

A tap with a virtio-net header (IFF_VNET_HDR) is a netdev port of a new
datapath; writing one 4,000-byte UDP datagram with VIRTIO_NET_HDR_GSO_UDP
into it makes the kernel receive an SKB_GSO_UDP packet. The datapath has no
flow: the miss goes to userspace segmented, one upcall per IP fragment. As
upstream's queue_gso_packets does, the first carries the key of a first
fragment (UDP ports), the others the key of a later fragment (no L4 fields).

usage: upcall_gso.py --record FILE   (stock module: write what it sends)
       upcall_gso.py --expect FILE   (ours: compare, PASS/FAIL lines)
"""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pkt import csum16  # noqa: E402
from ovsnl import DP_CMD, Cases, miss_upcalls, parse_attrs, tap_upcall_datapath  # noqa: E402

VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP = 1, 3
PKT_ATTR_PACKET, PKT_ATTR_KEY = 1, 2
KEY_IPV4, KEY_UDP = 7, 10
FRAG_NAMES = {0: "no", 1: "first", 2: "later"}


def ufo_frame(payload_len=4000):
    src, dst = socket.inet_aton("10.9.0.1"), socket.inet_aton("10.9.0.2")
    payload = bytes(i & 0xff for i in range(payload_len))
    udp_len = 8 + payload_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 7, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    # CHECKSUM_PARTIAL: the UDP checksum field holds the pseudo-header sum.
    pseudo = (sum(struct.unpack("!4H", src + dst)) + 17 + udp_len)
    while pseudo >> 16:
        pseudo = (pseudo & 0xffff) + (pseudo >> 16)
    udp = struct.pack("!HHHH", 5555, 6666, udp_len, pseudo) + payload
    eth = b"\x02\x00\x00\x00\x09\x02" + b"\x02\x00\x00\x00\x09\x01" + b"\x08\x00"
    vnet = struct.pack("=BBHHHH", VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 14 + 20 + 8, 1400, 34, 6)
    return vnet + eth + ip + udp


def upcalls(sock, want, timeout=5.0):
    out = []
    for _, attrs in miss_upcalls(sock, timeout, 0.5, want + 2):
        key = parse_attrs(attrs.get(PKT_ATTR_KEY, b""))
        ipv4 = key.get(KEY_IPV4, b"")
        out.append({"frag": FRAG_NAMES.get(ipv4[11], "?") if len(ipv4) >= 12 else "none",
                    "udp": struct.unpack("!HH", key[KEY_UDP][:4]) if KEY_UDP in key else None,
                    "len": len(attrs.get(PKT_ATTR_PACKET, b""))})
    return out


def run():
    fd, nl, listener, dp = tap_upcall_datapath("ufo0", "gso0", 1 | 2, nonblock=False, vnet_hdr=True, settle=0.5)
    os.write(fd, ufo_frame())
    got = [u for u in upcalls(listener, 3) if u["udp"] != (None,) and u["len"] > 100]
    nl.request("ovs_datapath", DP_CMD["DEL"], b"", dp_ifindex=dp.dp_ifindex)
    os.close(fd)
    return got


def main():
    mode, path = sys.argv[1], sys.argv[2]
    got = run()
    print("# UFO miss upcalls: %s" % json.dumps(got), flush=True)
    if mode == "--record":
        json.dump(got, open(path, "w"))
        return 0 if got else 1
    want = json.load(open(path))
    t = Cases()
    t.ok("the kernel's module sent per-fragment upcalls (%d)" % len(want), len(want) >= 2, json.dumps(want))
    for u in want + got:
        u["udp"] = list(u["udp"]) if u["udp"] else None
    t.ok("UFO miss upcalls: first fragment keyed with UDP ports, later ones as later fragments, as the kernel's "
         "module sends them", got == want, "ours %s, stock %s" % (json.dumps(got), json.dumps(want)))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
