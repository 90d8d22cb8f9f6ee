#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seeds for fuzz_genl: sequences of requests (see fuzz_genl.cpp for the
format) that reach each command's main paths. Writes corpus/genl/."""
import os
import struct

from nla_seed import flag, nest, nla, u32

DP, VPORT, FLOW, PACKET, METER, CT_LIMIT = 0, 1, 2, 3, 4, 5
DUMP, CREATE, EXCL, ECHO = 1, 2, 4, 8
# <linux/openvswitch.h>
DP_NAME, DP_PID, DP_FEATURES, DP_CACHE, DP_PCPU = 1, 2, 5, 7, 8
VP_PORT, VP_TYPE, VP_NAME, VP_PID = 1, 2, 3, 5
FA_KEY, FA_ACTIONS, FA_CLEAR, FA_MASK, FA_PROBE, FA_UFID, FA_UFID_FLAGS = 1, 2, 3, 7, 8, 10, 11
PA_PACKET, PA_KEY, PA_ACTIONS = 1, 2, 3
K_IN_PORT, K_ETH, K_ETHERTYPE, K_IPV4 = 3, 4, 6, 7
A_OUTPUT, A_USERSPACE, A_METER = 1, 2, 19
M_FEATURES, M_SET, M_DEL, M_GET = 1, 2, 3, 4
M_ID, M_KBPS, M_STATS, M_BANDS, M_USED, M_CLEAR = 1, 2, 3, 4, 5, 6
B_TYPE, B_RATE, B_BURST, B_STATS = 1, 2, 3, 4
CL_SET, CL_DEL, CL_GET, CL_ZONE_LIMIT = 1, 2, 3, 1
A_CT, CT_COMMIT, CT_ZONE = 12, 1, 2


def req(fam, cmd, flags=0, attrs=b""):
    return struct.pack("<BBBH", fam, cmd, flags, len(attrs)) + attrs


def band(rate, burst, btype=1):
    return nest(0, u32(B_TYPE, btype) + u32(B_RATE, rate) + u32(B_BURST, burst))


def meter(mid, bands, extra=b""):
    return u32(M_ID, mid) + nest(M_BANDS, bands) + extra


def zones(*entries):
    """An OVS_CT_LIMIT_ATTR_ZONE_LIMIT array of (zone, limit)."""
    return nla(CL_ZONE_LIMIT, b"".join(struct.pack("<iII", z, lim, 0) for z, lim in entries))


def key(src):
    return (u32(K_IN_PORT, 1) + nla(K_ETH, bytes(12)) + nla(K_ETHERTYPE, struct.pack("!H", 0x0800))
            + nla(K_IPV4, struct.pack("!II", src, 0) + bytes([17, 0, 64, 0])))


MASK = (u32(K_IN_PORT, 0xFFFFFFFF) + nla(K_ETH, bytes(12)) + nla(K_ETHERTYPE, b"\xff\xff")
        + nla(K_IPV4, struct.pack("!II", 0xFFFFFFFF, 0) + bytes(4)))
UFID = nla(FA_UFID, bytes(range(16)))
FRAME = (b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
         + bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack("!HHHH", 1, 2, 8, 0))
seeds = {
    "dp_get_dump_set": req(DP, 3) + req(DP, 3, DUMP) + req(DP, 4, 0, u32(DP_FEATURES, 1) + u32(DP_CACHE, 16)),
    "dp_new_del": req(DP, 1, 0, nla(DP_NAME, b"dp9\0") + u32(DP_PID, 7)) + req(DP, 2, 0, nla(DP_NAME, b"dp9\0")),
    "vport_new_get_dump_del": req(VPORT, 1, 0, nla(VP_NAME, b"p5\0") + u32(VP_TYPE, 2) + u32(VP_PID, 3))
    + req(VPORT, 3, 0, nla(VP_NAME, b"p5\0")) + req(VPORT, 3, DUMP) + req(VPORT, 4, 0, nla(VP_NAME, b"p5\0")
                                                                          + u32(VP_PID, 9))
    + req(VPORT, 2, 0, nla(VP_NAME, b"p5\0")),
    "flow_new_get_set_del": req(FLOW, 1, CREATE | ECHO, nest(FA_KEY, key(0x0A000001)) + nest(FA_MASK, MASK) + UFID
                                + nest(FA_ACTIONS, u32(A_OUTPUT, 2)))
    + req(FLOW, 3, 0, UFID) + req(FLOW, 4, 0, UFID + flag(FA_CLEAR)) + req(FLOW, 3, DUMP, u32(FA_UFID_FLAGS, 1))
    + req(FLOW, 2, 0, UFID),
    "flow_by_key": req(FLOW, 1, 0, nest(FA_KEY, key(0x0A000002)) + nest(FA_ACTIONS, u32(A_OUTPUT, 1)))
    + req(FLOW, 3, 0, nest(FA_KEY, key(0x0A000002))) + req(FLOW, 4, 0, nest(FA_KEY, key(0x0A000002)) + nest(FA_MASK, MASK)
                                                          + nest(FA_ACTIONS, u32(A_OUTPUT, 2)))
    + req(FLOW, 2, 0, nest(FA_KEY, key(0x0A000002))) + req(FLOW, 2),
    "execute": req(PACKET, 3, 0, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
                   + nest(PA_ACTIONS, u32(A_OUTPUT, 2) + nest(A_USERSPACE, u32(1, 5)))),
    "execute_gone_dp": req(PACKET, 3, 0x10, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
                           + nest(PA_ACTIONS, u32(A_OUTPUT, 2))),
    "meter_set_get_del_dump": req(METER, M_FEATURES) + req(METER, M_SET, 0, meter(1, band(10, 5)))
    + req(METER, M_SET, 0, meter(2, band(800, 100), flag(M_KBPS)))
    + req(METER, M_SET, 0, meter(1, band(20, 5), nla(M_STATS, bytes(16)) + flag(M_CLEAR)))
    + req(METER, M_GET, 0, u32(M_ID, 1)) + req(METER, M_GET, DUMP) + req(METER, M_DEL, 0, u32(M_ID, 2))
    + req(METER, M_DEL, 0, u32(M_ID, 2)),
    "meter_errors": req(METER, M_SET, 0, u32(M_ID, 1)) + req(METER, M_SET, 0, meter(1, band(10, 5) + band(1, 1)))
    + req(METER, M_SET, 0, meter(1, band(0, 5))) + req(METER, M_SET, 0, meter(1, nest(0, u32(B_RATE, 1))))
    + req(METER, M_SET, 0, meter(1, nest(0, u32(B_TYPE, 1) + nla(B_RATE, b"\x01\x00") + u32(B_BURST, 1))))
    + req(METER, M_SET, 0, meter(5, band(1, 1))) + req(METER, M_SET, 0, meter(1029, band(1, 1)))
    + req(METER, M_GET, 0, u32(M_ID, 77)) + req(METER, M_SET, 0x10, meter(1, band(1, 1))),
    "meter_action": req(METER, M_SET, 0, meter(7, band(1, 2)))
    + req(PACKET, 3, 0, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
          + nest(PA_ACTIONS, u32(A_METER, 7) + u32(A_OUTPUT, 2)))
    + req(PACKET, 3, 0, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
          + nest(PA_ACTIONS, u32(A_METER, 7) + u32(A_OUTPUT, 2)))
    + req(PACKET, 3, 0, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
          + nest(PA_ACTIONS, u32(A_METER, 7) + u32(A_METER, 8) + u32(A_OUTPUT, 2)))
    + req(METER, M_GET, 0, u32(M_ID, 7)),
    "ct_limit_set_get_del": req(CT_LIMIT, CL_SET, 0, zones((-1, 10), (1, 3), (513, 2), (70000, 1)))
    + req(CT_LIMIT, CL_GET) + req(CT_LIMIT, CL_GET, 0, zones((1, 0), (-1, 0), (7, 0)))
    + req(CT_LIMIT, CL_DEL, 0, zones((1, 0), (-1, 0))) + req(CT_LIMIT, CL_GET),
    "ct_limit_errors": req(CT_LIMIT, CL_SET) + req(CT_LIMIT, CL_DEL) + req(CT_LIMIT, CL_SET, 0, nla(CL_ZONE_LIMIT, b"\x01\x00"))
    + req(CT_LIMIT, CL_SET, 0, nla(CL_ZONE_LIMIT, struct.pack("<iH", 6, 5)))
    + req(CT_LIMIT, CL_GET, 0, nla(CL_ZONE_LIMIT, struct.pack("<iII", 4, 0, 0) + b"\0\0\0")) + req(CT_LIMIT, 4),
    "ct_limit_commit": req(CT_LIMIT, CL_SET, 0, zones((1, 1)))
    + req(PACKET, 3, 0, nla(PA_PACKET, FRAME) + nest(PA_KEY, u32(K_IN_PORT, 1))
          + nest(PA_ACTIONS, nest(A_CT, flag(CT_COMMIT) + nla(CT_ZONE, b"\x01\x00")) + u32(A_OUTPUT, 2)))
    + req(PACKET, 3, 0, nla(PA_PACKET, FRAME[:-8] + struct.pack("!H", 9) + FRAME[-6:]) + nest(PA_KEY, u32(K_IN_PORT, 1))
          + nest(PA_ACTIONS, nest(A_CT, flag(CT_COMMIT) + nla(CT_ZONE, b"\x01\x00")) + u32(A_OUTPUT, 2)))
    + req(CT_LIMIT, CL_GET, 0, zones((1, 0))),
    "unknown_cmds": req(DP, 9) + req(FLOW, 0) + req(PACKET, 1, DUMP) + req(VPORT, 1, DUMP),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "genl")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
