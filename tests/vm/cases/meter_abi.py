#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ovs_meter family over raw generic netlink, the kernel's module first
and then ours in one boot (tests/vm/cases/vswitchd.sh): FEATURES, SET, GET,
DEL and their errors, a replacing SET, collisions, a table grown past 1,024
meters, OVS's broken-meter probe, and the meter action run by EXECUTE (the
statistics it leaves). Every reply is recorded as errno plus its attributes
in order (nests opened, duplicates kept); ours must equal the kernel's,
except:
  - OVS_METER_ATTR_USED (a time) is compared as present or absent;
  - OVS_METER_ATTR_MAX_METERS: both at most 200,000 and above 1,024 (each
    sizes it from free memory over its own meter size; ours counts its
    per-CPU part too);
  - the dump: the kernel's family has none (EOPNOTSUPP), ours lists the
    meters (checked on ours only);
  - a meter whose id is above the table's size when the table doubles: the
    kernel's module no longer finds it (its resize copies slot i to slot
    i), ours does (checked on ours, the kernel's result printed).

usage: meter_abi.py --record FILE   (stock module)
       meter_abi.py --expect FILE   (ours: PASS/FAIL lines)
"""
import errno
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, Cases, Genl, NlError,  # noqa: E402
                   nla, nla_str, nla_u32)

FEATURES, SET, DEL, GET = 1, 2, 3, 4
M_ID, M_KBPS, M_STATS, M_BANDS, M_USED, M_CLEAR, M_MAX_METERS, M_MAX_BANDS = range(1, 9)
B_TYPE, B_RATE, B_BURST, B_STATS = 1, 2, 3, 4
DROP = 1
NESTS = {M_BANDS}

nl = Genl()


def attr_list(data, depth=0):
    """[type, value] pairs in order; nests (BANDS and each band) opened."""
    out, off = [], 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        payload = data[off + 4:off + length]
        atype &= 0x3FFF
        if depth == 0 and atype in NESTS or depth == 1:
            out.append([atype, attr_list(payload, depth + 1)])
        elif depth == 0 and atype == M_USED:
            out.append([atype, "time"])
        elif depth == 0 and atype == M_MAX_METERS:
            v = struct.unpack("=I", payload[:4])[0]
            out.append([atype, "ok" if 1024 < v <= 200000 else "bad %d" % v])
        else:
            out.append([atype, payload.hex()])
        off += (length + 3) & ~3
    return out


def raw(cmd, attrs=b"", ifindex=None):
    """(errno, [attr lists of each reply])."""
    try:
        fid, _ = nl.family("ovs_meter")
        payload = struct.pack("=BBHi", cmd, 1, 0, DP_IFINDEX if ifindex is None else ifindex) + attrs
        seq = nl._send(fid, 0x1 | 0x4, payload)
        return [0, [attr_list(b[8:]) for b in nl._recv_all(seq)]]
    except NlError as e:
        return [e.errno, []]


def band(rate, burst, btype=DROP, extra=b""):
    return nla(0, nla_u32(B_TYPE, btype) + nla_u32(B_RATE, rate) + nla_u32(B_BURST, burst) + extra)


def meter(mid, bands, kbps=False, extra=b""):
    a = nla_u32(M_ID, mid) + nla(M_BANDS, bands) + extra
    return a + (nla(M_KBPS, b"") if kbps else b"")


def execute(actions, n):
    """n EXECUTEs of a 60-byte UDP frame with `actions`."""
    frame = (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
             + bytes.fromhex("4500002e0001000040110000c0000201c0000202") + bytes.fromhex("13891389001a0000")
             + bytes(18))
    key = nla_u32(3, 0)  # in_port(local)
    for _ in range(n):
        nl.request("ovs_packet", 3, nla(1, frame) + nla(2, key) + nla(3, actions), dp_ifindex=DP_IFINDEX, echo=False)


def cases():
    """Every case's result, in order."""
    r = {}
    r["features"] = raw(FEATURES)
    r["features, no datapath"] = raw(FEATURES, ifindex=999999)
    r["set, no id"] = raw(SET, nla(M_BANDS, band(10, 10)))
    r["set, no bands"] = raw(SET, nla_u32(M_ID, 1))
    r["set, two bands"] = raw(SET, meter(1, band(10, 10) + band(20, 20)))
    r["set, band without rate"] = raw(SET, meter(1, nla(0, nla_u32(B_TYPE, DROP) + nla_u32(B_BURST, 5))))
    r["set, band without type"] = raw(SET, meter(1, nla(0, nla_u32(B_RATE, 5) + nla_u32(B_BURST, 5))))
    r["set, band without burst"] = raw(SET, meter(1, nla(0, nla_u32(B_TYPE, DROP) + nla_u32(B_RATE, 5))))
    r["set, rate 0"] = raw(SET, meter(1, band(0, 10)))
    r["set, 2-byte rate"] = raw(SET, meter(1, nla(0, nla_u32(B_TYPE, DROP) + nla(B_RATE, b"\x05\x00")
                                                + nla_u32(B_BURST, 5))))
    r["set, short band stats"] = raw(SET, meter(1, band(10, 10, extra=nla(B_STATS, bytes(8)))))
    r["set, no datapath"] = raw(SET, meter(1, band(10, 10)), ifindex=999999)
    r["set, bad band on no datapath"] = raw(SET, meter(1, band(0, 10)), ifindex=999999)
    r["set 1"] = raw(SET, meter(1, band(10, 10)))
    r["set 2 kbps"] = raw(SET, meter(2, band(800, 100), kbps=True))
    r["set 3, no bands in the nest"] = raw(SET, meter(3, b""))
    r["set 4, band type 7"] = raw(SET, meter(4, band(1, 1, btype=7)))
    r["set 5, stats given"] = raw(SET, meter(5, band(10, 10), extra=nla(M_STATS, struct.pack("=QQ", 7, 700))))
    r["get 5"] = raw(GET, nla_u32(M_ID, 5))
    r["set 5 again (replace, stats back)"] = raw(SET, meter(5, band(20, 20)))
    r["set 5 with clear"] = raw(SET, meter(5, band(20, 20), extra=nla(M_STATS, struct.pack("=QQ", 7, 700))
                                           + nla(M_CLEAR, b"")))
    r["get 5 after clear"] = raw(GET, nla_u32(M_ID, 5))
    r["set 5 replacing a cleared meter"] = raw(SET, meter(5, band(20, 20)))
    r["get, no id"] = raw(GET)
    r["get, missing"] = raw(GET, nla_u32(M_ID, 77))
    r["get, no datapath"] = raw(GET, nla_u32(M_ID, 1), ifindex=999999)
    r["set 1029 (slot of 5)"] = raw(SET, meter(1029, band(10, 10)))
    r["del, no id"] = raw(DEL)
    r["del, missing"] = raw(DEL, nla_u32(M_ID, 77))
    # The meter action through EXECUTE: burst 2 at 1 packet/s, 6 packets.
    raw(SET, meter(10, band(1, 2)))
    raw(SET, meter(11, band(1, 1), kbps=True))  # 1,000 bits, 1 more a ms: a 60-byte frame is 480
    execute(nla_u32(19, 10), 6)
    execute(nla_u32(19, 11), 4)
    execute(nla_u32(19, 12345), 2)  # no such meter: passes
    r["get 10 after 6 executed"] = raw(GET, nla_u32(M_ID, 10))
    r["get 11 (kbps) after 4 executed"] = raw(GET, nla_u32(M_ID, 11))
    r["get 3 (no bands)"] = raw(GET, nla_u32(M_ID, 3))
    execute(nla_u32(19, 4), 3)
    r["get 4 (band type 7 exceeded, not dropping)"] = raw(GET, nla_u32(M_ID, 4))
    r["del 10"] = raw(DEL, nla_u32(M_ID, 10))
    r["get 10 after del"] = raw(GET, nla_u32(M_ID, 10))
    # OVS 3.1's broken-meter probe.
    r["probe 54545401"] = raw(SET, meter(54545401, band(1, 1), kbps=True))
    r["probe 54545402"] = raw(SET, meter(54545402, band(1, 1), kbps=True))
    r["probe get 54545401"] = raw(GET, nla_u32(M_ID, 54545401))
    r["probe get 54545402"] = raw(GET, nla_u32(M_ID, 54545402))
    r["probe del"] = [raw(DEL, nla_u32(M_ID, 54545401)), raw(DEL, nla_u32(M_ID, 54545402))]
    # Past 1,024 meters: ids 12..1023 and 6..10 make 1,023 meters, then ids
    # 1024..1100: the 1,024th doubles the table first.
    ids = list(range(12, 1024)) + list(range(6, 11)) + list(range(1024, 1101))
    errs = [raw(SET, meter(i, band(100, 100)))[0] for i in ids]
    r["1,094 more meters"] = sorted(set(errs))
    r["get 1100"] = raw(GET, nla_u32(M_ID, 1100))
    r["get 1024"] = raw(GET, nla_u32(M_ID, 1024))
    r["set 2248 (slot 200 of 2,048 taken)"] = raw(SET, meter(2248, band(10, 10)))
    r["set 3172 (slot 1124 of 2,048 free)"] = raw(SET, meter(3172, band(10, 10)))
    errs = [raw(DEL, nla_u32(M_ID, i))[0] for i in ids + [3172]]
    r["delete them"] = sorted(set(errs))
    r["get 1100 after delete"] = raw(GET, nla_u32(M_ID, 1100))
    return r


def lost_meter():
    """Meter 1024 set while the table has 1,024 slots (slot 0), then 1,023
    more: the last doubles the table. GET 1024's errno after that (upstream's
    resize copies slot 0 to slot 0 and looks for 1024 in slot 1,024)."""
    global DP_IFINDEX
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "mtr1") + nla_u32(DP_ATTR["UPCALL_PID"], 0)
                    + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0]
    DP_IFINDEX = dp.dp_ifindex
    errs = [raw(SET, meter(i, band(100, 100)))[0] for i in [1024] + list(range(1, 1024))]
    got = raw(GET, nla_u32(M_ID, 1024))[0]
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "mtr1"))
    return [sorted(set(errs)), got]


def main():
    global DP_IFINDEX
    mode, path = sys.argv[1], sys.argv[2]
    try:
        nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "mtr0"))
    except NlError:
        pass
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "mtr0") + nla_u32(DP_ATTR["UPCALL_PID"], 0)
                    + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0]
    DP_IFINDEX = dp.dp_ifindex
    t0 = time.time()
    r = cases()
    dump = raw(GET, b"")  # no dump flag: GET without an id
    try:
        fid, _ = nl.family("ovs_meter")
        seq = nl._send(fid, 0x1 | 0x4 | 0x300, struct.pack("=BBHi", GET, 1, 0, DP_IFINDEX))
        dumped = [0, [attr_list(b[8:]) for b in nl._recv_all(seq)]]
    except NlError as e:
        dumped = [e.errno, []]
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "mtr0"))
    lost = lost_meter()
    print("# meter_abi: %d cases in %.1f s" % (len(r), time.time() - t0), flush=True)
    if mode == "--record":
        r["(dump)"] = dumped
        r["(lost)"] = lost
        json.dump(r, open(path, "w"), indent=1)
        print("# recorded %d meter cases of the kernel's module (dump: %s)"
              % (len(r), errno.errorcode.get(dumped[0], dumped[0])), flush=True)
        return 0
    stock = json.load(open(path))
    t = Cases()
    stock_dump = stock.pop("(dump)", None)
    stock_lost = stock.pop("(lost)", None)
    for name, want in stock.items():
        got = json.loads(json.dumps(r.get(name)))
        t.ok("meter: %s: as the kernel's module" % name, got == want, "ours %s, kernel's %s" % (got, want))
    t.ok("meter: GET without an id is EINVAL", dump[0] == errno.EINVAL, str(dump))
    t.ok("meter dump: the kernel's module has none (EOPNOTSUPP)",
         stock_dump is None or stock_dump[0] == errno.EOPNOTSUPP, str(stock_dump))
    # Ours: what is left after the cases (1, 2, 3, 4, 5, 11), in slot order.
    ids = [int.from_bytes(bytes.fromhex(dict((a, v) for a, v in m)[M_ID]), "little") for m in dumped[1]]
    t.ok("meter dump: ours lists the meters left", dumped[0] == 0 and ids == [1, 2, 3, 4, 5, 11],
         "errno %d, ids %s" % (dumped[0], ids))
    t.ok("meter 1024 set before the table doubled is still found (the kernel's module: %s)"
         % (errno.errorcode.get(stock_lost[1], stock_lost[1]) if stock_lost else "?"),
         lost == [[0], 0], str(lost))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
