#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ovs_ct_limit family over raw generic netlink, the kernel's module
first and then ours in one boot (tests/vm/cases/vswitchd.sh): SET, DEL and
GET of the default and per-zone limits, their bad input (no array, an array
shorter than an attribute header, zones out of range, trailing bytes, an
entry cut short, unknown attributes), GET's order, a GET too large for one
reply, and the limit enforced on commit: five new UDP connections
committed by EXECUTE with ct(commit,zone=1) under a limit of 3 (the ones
over it dropped), then GET's count. Every reply is recorded as errno plus
its raw attribute bytes (the header's dp_ifindex too); ours must equal the
kernel's byte for byte. A namespace that sets limits and goes away leaves
nothing behind (the harness checks the kernel log and rmmod).

usage: ct_limit_abi.py --record FILE   (stock module)
       ct_limit_abi.py --expect FILE   (ours: PASS/FAIL lines)
       ct_limit_abi.py --netns         (in a namespace: set, get; prints both)
       ct_limit_abi.py --get           (prints GET's reply)
"""
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, Cases, Genl, NlError, nla, nla_str, nla_u32  # noqa: E402

SET, DEL, GET = 1, 2, 3
ZONE_LIMIT = 1
DEFAULT = -1

nl = Genl()


def zl(*entries):
    """An OVS_CT_LIMIT_ATTR_ZONE_LIMIT array of (zone, limit[, count])."""
    return b"".join(struct.pack("=iII", e[0], e[1], e[2] if len(e) > 2 else 0) for e in entries)


def raw(cmd, attrs=b"", ifindex=7):
    """[errno, [(dp_ifindex, attribute bytes hex) of each reply]]."""
    try:
        fid, _ = nl.family("ovs_ct_limit")
        payload = struct.pack("=BBHi", cmd, 1, 0, ifindex) + attrs
        seq = nl._send(fid, 0x1 | 0x4, payload)
        return [0, [[struct.unpack_from("=i", b, 4)[0], b[8:].hex()] for b in nl._recv_all(seq)]]
    except NlError as e:
        return [e.errno, []]


def udp_frame(sport):
    ip = bytearray.fromhex("4500002e00010000401100000a0001010a000102")
    s = sum(struct.unpack("!10H", bytes(ip)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into("!H", ip, 10, ~s & 0xFFFF)
    return (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip)
            + struct.pack("!HHHH", sport, 5000, 26, 0) + bytes(18))


def execute_ct_commit(dp_ifindex, sport, zone):
    """EXECUTE of a UDP frame with ct(commit,zone=Z): its errno."""
    ct = nla(12, nla(1, b"") + struct.pack("=HHH", 6, 2, zone) + b"\0\0")  # OVS_CT_ATTR_COMMIT, ZONE
    try:
        nl.request("ovs_packet", 3, nla(1, udp_frame(sport)) + nla(2, nla_u32(3, 0)) + nla(3, ct),
                   dp_ifindex=dp_ifindex, echo=False)
        return 0
    except NlError as e:
        return e.errno


def cases(port_base):
    r = {}
    r["get, nothing set"] = raw(GET)
    r["get zone 3, nothing set"] = raw(GET, nla(ZONE_LIMIT, zl((3, 0))))
    r["set, no array"] = raw(SET)
    r["del, no array"] = raw(DEL)
    r["set, 2-byte array"] = raw(SET, nla(ZONE_LIMIT, b"\x01\x00"))
    r["set, empty array"] = raw(SET, nla(ZONE_LIMIT, b""))
    r["set default 10, zone 1: 3, zone 2: 5 (count 99 given)"] = raw(
        SET, nla(ZONE_LIMIT, zl((DEFAULT, 10), (1, 3), (2, 5, 99))))
    r["get all"] = raw(GET)
    r["get 2, 7, default, 2"] = raw(GET, nla(ZONE_LIMIT, zl((2, 0), (7, 0), (DEFAULT, 0), (2, 0))))
    r["set zones 65536, -2 (skipped), 65535"] = raw(SET, nla(ZONE_LIMIT, zl((65536, 1), (-2, 1), (65535, 2))))
    r["set zone 4 and 3 trailing bytes"] = raw(SET, nla(ZONE_LIMIT, zl((4, 9)) + b"\0\0\0"))
    r["set a 10-byte entry (zone 6)"] = raw(SET, nla(ZONE_LIMIT, struct.pack("=iH", 6, 0x101) + b"\0\0\0\0"[:4]))
    r["set unknown attribute 2 only"] = raw(SET, nla(2, b"\0" * 4))
    r["set zones 513, 3, 1 (again), 1025, 0"] = raw(SET, nla(ZONE_LIMIT, zl((513, 1), (3, 1), (1, 3), (1025, 1), (0, 1))))
    r["set 513 again"] = raw(SET, nla(ZONE_LIMIT, zl((513, 2))))
    r["get all, bucket order"] = raw(GET)
    r["get 4, 6, 65536, -5"] = raw(GET, nla(ZONE_LIMIT, zl((4, 0), (6, 0), (65536, 0), (-5, 0))))
    r["get 4 and 5 trailing bytes"] = raw(GET, nla(ZONE_LIMIT, zl((4, 0)) + b"\0" * 5))
    r["del 2, default, 9, 70000"] = raw(DEL, nla(ZONE_LIMIT, zl((2, 0), (DEFAULT, 0), (9, 0), (70000, 0))))
    r["get all after del"] = raw(GET)
    r["get, dp_ifindex 12345 echoed"] = raw(GET, nla(ZONE_LIMIT, zl((DEFAULT, 0))), ifindex=12345)
    # The limit on commit: zone 1 allows 3.
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "ctl0") + nla_u32(DP_ATTR["UPCALL_PID"], 0)
                    + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0]
    r["commit 5 new connections in zone 1 (limit 3)"] = [execute_ct_commit(dp.dp_ifindex, port_base + i, 1)
                                                        for i in range(5)]
    r["commit one of them again"] = execute_ct_commit(dp.dp_ifindex, port_base, 1)
    # nf_conncount keeps the dropped connections' entries until its next gc
    # of the zone's list, which depends on jiffies: the count reads 3 or 4
    # on either module (seen on the kernel's), so it is compared as "3-4".
    got = raw(GET, nla(ZONE_LIMIT, zl((1, 0))))
    for reply in got[1]:
        if reply[1][:8] == "10000100" and int(reply[1][24:26], 16) in (3, 4):
            reply[1] = reply[1][:24] + "3-4"
    r["get zone 1 (count)"] = got
    r["commit 2 in zone 7 (default unlimited now)"] = [execute_ct_commit(dp.dp_ifindex, port_base + i, 7)
                                                       for i in range(2)]
    r["get zone 7"] = raw(GET, nla(ZONE_LIMIT, zl((7, 0))))
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctl0"))
    # Too many zones for one reply.
    r["set 400 zones"] = raw(SET, nla(ZONE_LIMIT, zl(*[(100 + i, 1) for i in range(400)])))
    r["get all, 412 zones"] = raw(GET)
    r["set 240 more zones"] = raw(SET, nla(ZONE_LIMIT, zl(*[(1000 + i, 1) for i in range(240)])))
    r["get all, 652 zones and the default (all that fit)"] = raw(GET)
    r["set one more zone"] = raw(SET, nla(ZONE_LIMIT, zl((2000, 1))))
    r["get all, 653 zones and the default (EMSGSIZE)"] = raw(GET)
    r["del the 241"] = raw(DEL, nla(ZONE_LIMIT, zl(*[(1000 + i, 0) for i in range(240)] + [(2000, 0)])))
    r["del 100 of them"] = raw(DEL, nla(ZONE_LIMIT, zl(*[(400 + i, 0) for i in range(100)])))
    r["get all, 312 zones"] = raw(GET)
    r["del 1"] = raw(DEL, nla(ZONE_LIMIT, zl((399, 0))))
    r["get all, 311 zones"] = raw(GET)
    r["del all"] = raw(DEL, nla(ZONE_LIMIT, zl(*[(i, 0) for i in range(0, 66000)][:5000])))
    r["del the rest"] = raw(DEL, nla(ZONE_LIMIT, zl(*[(i, 0) for i in range(5000, 66000)][:5000])))
    r["del 65535"] = raw(DEL, nla(ZONE_LIMIT, zl((65535, 0))))
    r["get all at the end"] = raw(GET)
    return r


def main():
    mode = sys.argv[1]
    if mode == "--netns":
        print(raw(SET, nla(ZONE_LIMIT, zl((DEFAULT, 5), (9, 2)))), raw(GET))
        return 0
    if mode == "--get":
        print(raw(GET))
        return 0
    path = sys.argv[2]
    try:
        nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctl0"))
    except NlError:
        pass
    t0 = time.time()
    # Fresh tuples for each module: the kernel's conntrack table outlives it.
    r = cases(20000 if mode == "--record" else 30000)
    print("# ct_limit_abi: %d cases in %.1f s" % (len(r), time.time() - t0), flush=True)
    if mode == "--record":
        json.dump(r, open(path, "w"), indent=1)
        print("# recorded %d ct_limit cases of the kernel's module" % len(r), flush=True)
        return 0
    stock = json.load(open(path))
    t = Cases()
    for name, want in stock.items():
        got = json.loads(json.dumps(r.get(name)))
        t.ok("ct_limit: %s: as the kernel's module" % name, got == want, "ours %s, kernel's %s" % (got, want))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
