#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The flow key of MISS upcalls for frames with odd 802.1Q/802.1ad headers
(a tag cut before its TCI, an inner tag cut, three tags, a tag and nothing
after it), run against the kernel's module and then ours in one boot
(tests/vm/cases/actions-wire.sh). The receive path strips the outer tag into
the skb (skb_vlan_untag) when it is whole, so the inner header the datapath
parses is the inline one. Every upcall's OVS_PACKET_ATTR_KEY must be the
kernel module's, byte for byte, the conntrack attributes included (CT_STATE,
CT_ZONE, CT_MARK and CT_LABELS, which both modules write in every key).

usage: upcall_vlan_keys.py --record FILE   (stock module)
       upcall_vlan_keys.py --expect FILE   (ours: PASS/FAIL lines)
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import DP_CMD, Cases, miss_upcalls, tap_upcall_datapath  # noqa: E402

PKT_ATTR_PACKET, PKT_ATTR_KEY = 1, 2
MACS = b"\x02\x00\x00\x00\x0b\x02" + b"\x02\x00\x00\x00\x0b\x01"
IP = bytes.fromhex("4500001c0001000040110000" "0a0b0001" "0a0b0002") + bytes.fromhex("0fa01388000800" "00")

FRAMES = {
    "outer tag cut before its TCI": MACS + b"\x81\x00\x00",
    "outer tag, inner 802.1Q cut before its TCI": MACS + b"\x81\x00\x00\x8e\x81\x00",
    "outer tag, inner 802.1Q cut in its TCI": MACS + b"\x81\x00\x00\x8e\x81\x00\x00",
    "outer tag, inner tag, nothing after": MACS + b"\x81\x00\x00\x8e\x81\x00\x00\x05",
    "802.1ad outer, 802.1Q inner, IPv4": MACS + b"\x88\xa8\x00\x8e\x81\x00\x00\x05\x08\x00" + IP,
    "three tags, IPv4": MACS + b"\x81\x00\x00\x8e\x81\x00\x00\x05\x81\x00\x00\x07\x08\x00" + IP,
    "outer tag, inner 802.1ad cut before its TCI": MACS + b"\x81\x00\x00\x8e\x88\xa8",
    "priority tag only (TCI 0), IPv4": MACS + b"\x81\x00\x00\x00\x08\x00" + IP,
}


def miss_keys(sock):
    """(packet, key) of each MISS upcall."""
    return [(a.get(PKT_ATTR_PACKET, b""), a.get(PKT_ATTR_KEY, b"")) for _, a in miss_upcalls(sock, 1.5)]


def run():
    fd, nl, listener, dp = tap_upcall_datapath("vk0", "vk-dp", 3)
    got = {}
    for name, f in FRAMES.items():
        os.write(fd, f)
        ups = miss_keys(listener)
        got[name] = [k.hex() for _, k in ups]
    nl.request("ovs_datapath", DP_CMD["DEL"], b"", dp_ifindex=dp.dp_ifindex)
    listener.close()
    os.close(fd)
    return got


def main():
    mode, path = sys.argv[1], sys.argv[2]
    got = run()
    print("# upcall keys: %s" % json.dumps(got), flush=True)
    if mode == "--record":
        json.dump(got, open(path, "w"))
        return 0 if got else 1
    want = json.load(open(path))
    t = Cases()
    for name in FRAMES:
        t.ok("%s: the upcall keys are the kernel module's (%d upcall(s))" % (name, len(want.get(name, []))),
             got.get(name) == want.get(name), "ours %s, stock %s" % (got.get(name), want.get(name)))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
