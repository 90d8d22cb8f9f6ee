#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Writes the seed corpus of fuzz_flow_netlink: flows as ovs-vswitchd installs
# them (key, mask, actions), in the input format described in
# fuzz_flow_netlink.cpp: [flags] [key_len le16] key [mask_len le16] mask actions.
# Attribute numbers are <linux/openvswitch.h>'s.
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "flow_netlink")
os.makedirs(out, exist_ok=True)


from nla_seed import be16, be32, be64, flag, nest, nla, u8, u16, u32, u64  # noqa: E402,F401


# OVS_KEY_ATTR_*
ENCAP, PRIORITY, IN_PORT, ETHERNET, VLAN, ETHERTYPE, IPV4, IPV6, TCP, UDP, ICMP, ICMPV6, ARP, ND, SKB_MARK, \
    TUNNEL, SCTP, TCP_FLAGS, DP_HASH, RECIRC_ID, MPLS = range(1, 22)
# OVS_TUNNEL_KEY_ATTR_*
T_ID, T_SRC, T_DST, T_TOS, T_TTL, T_DF, T_CSUM, T_OAM, T_GENEVE, T_TPSRC, T_TPDST, T_VXLAN, T_SRC6, T_DST6, \
    T_PAD, T_ERSPAN, T_BRIDGE = range(0, 17)
# OVS_ACTION_ATTR_*
OUTPUT, USERSPACE, SET, PUSH_VLAN, POP_VLAN, SAMPLE, RECIRC, HASH, PUSH_MPLS, POP_MPLS, SET_MASKED, CT, TRUNC, \
    PUSH_ETH, POP_ETH, CT_CLEAR, PUSH_NSH, POP_NSH, METER, CLONE, CHECK_PKT_LEN, ADD_MPLS, DEC_TTL = range(1, 24)

MAC1 = bytes.fromhex("020000000001")
MAC2 = bytes.fromhex("020000000002")
A1 = bytes.fromhex("20010db8000000000000000000000001")
A2 = bytes.fromhex("20010db8000000000000000000000002")


def meta(port, recirc=0):
    return u32(PRIORITY, 0) + u32(SKB_MARK, 0) + u32(RECIRC_ID, recirc) + u32(DP_HASH, 0) + u32(IN_PORT, port)


def meta_mask():
    return u32(PRIORITY, 0) + u32(SKB_MARK, 0) + u32(RECIRC_ID, 0xffffffff) + u32(DP_HASH, 0) + u32(IN_PORT, 0xffffffff)


def eth(src=MAC1, dst=MAC2): return nla(ETHERNET, src + dst)
def ipv4(src, dst, proto, tos=0, ttl=64, frag=0): return nla(IPV4, struct.pack("!IIBBBB", src, dst, proto, tos, ttl, frag))
def ipv6(proto, label=0, frag=0): return nla(IPV6, A1 + A2 + struct.pack("!IBBBB", label, proto, 0, 64, frag))
def ports(t, s, d): return nla(t, struct.pack("!HH", s, d))


def tunnel(geneve=b""):
    a = be64(T_ID, 0x1234) + be32(T_SRC, 0xc0000201) + be32(T_DST, 0xc0000202) + u8(T_TTL, 64) + flag(T_DF) + \
        be16(T_TPDST, 6081)
    if geneve:
        a += nla(T_GENEVE, geneve)
    return nest(TUNNEL, a)


def seed(name, key, mask, actions, flags):
    data = bytes([flags]) + struct.pack("<H", len(key)) + key + \
        (struct.pack("<H", len(mask)) + mask if mask is not None else struct.pack("<H", 0)) + actions
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


HAS_MASK, FLOW_KEY = 1, 2
tcp_key = meta(1) + eth() + be16(ETHERTYPE, 0x0800) + ipv4(0x0a000001, 0x0a000002, 6) + ports(TCP, 1234, 80) + \
    be16(TCP_FLAGS, 0x002)
tcp_mask = meta_mask() + eth(b"\0" * 6, b"\0" * 6) + be16(ETHERTYPE, 0xffff) + \
    nla(IPV4, struct.pack("!IIBBBB", 0, 0xffffffff, 0xff, 0, 0, 0xff)) + ports(TCP, 0, 0xffff) + \
    be16(TCP_FLAGS, 0xffff)
seed("ipv4_tcp_output", tcp_key, tcp_mask, u32(OUTPUT, 2), HAS_MASK | FLOW_KEY)
seed("ipv4_tcp_exact_set", tcp_key, None,
     nest(SET, ipv4(0x0a000001, 0x0b000002, 6, 0, 63)) + nest(SET, ports(TCP, 1, 2)) + u32(OUTPUT, 3), FLOW_KEY)
seed("ipv4_set_masked", tcp_key, tcp_mask,
     nest(SET_MASKED, nla(ETHERNET, MAC1 + MAC2 + b"\xff" * 12)) + nla(SET_MASKED, nla(IPV4,
          struct.pack("!IIBBBB", 0, 0x0a000009, 0, 0, 0, 0) + struct.pack("!IIBBBB", 0, 0xffffffff, 0, 0, 0, 0)))
     + u32(OUTPUT, 2), HAS_MASK | FLOW_KEY)

vlan_key = meta(2) + eth() + be16(ETHERTYPE, 0x8100) + be16(VLAN, 0x1005) + \
    nest(ENCAP, be16(ETHERTYPE, 0x0800) + ipv4(1, 2, 17) + ports(UDP, 53, 53))
seed("vlan_udp_pop_push", vlan_key, None,
     nla(POP_VLAN) + nla(PUSH_VLAN, struct.pack("!HH", 0x88a8, 0x1064)) + u32(OUTPUT, 1), FLOW_KEY)
qinq_key = meta(2) + eth() + be16(ETHERTYPE, 0x88a8) + be16(VLAN, 0x1064) + nest(ENCAP, be16(ETHERTYPE, 0x8100) +
    be16(VLAN, 0x1005) + nest(ENCAP, be16(ETHERTYPE, 0x86dd) + ipv6(58) + nla(ICMPV6, bytes([135, 0])) +
    nla(ND, A2 + MAC1 + b"\0" * 6)))
seed("qinq_nd", qinq_key, None, nest(USERSPACE, u32(1, 1234) + nla(2, b"cookie01")), FLOW_KEY)

mpls_key = meta(3) + eth() + be16(ETHERTYPE, 0x8847) + nla(MPLS, struct.pack("!II", 100 << 12 | 64, 200 << 12 | 0x140))
seed("mpls_pop", mpls_key, None, be16(POP_MPLS, 0x8847) + be16(POP_MPLS, 0x0800) + u32(OUTPUT, 1), FLOW_KEY)
seed("ipv4_push_mpls", tcp_key, None,
     nla(PUSH_MPLS, struct.pack("!IH", 5 << 12 | 0x140, 0x8847) + b"\0\0") +
     nla(ADD_MPLS, struct.pack("!IHH", 6 << 12 | 64, 0x8847, 0)) + u32(OUTPUT, 1), FLOW_KEY)

tun_key = tunnel(bytes.fromhex("0102800100000000")) + meta(4) + eth() + be16(ETHERTYPE, 0x0806) + \
    nla(ARP, struct.pack("!IIH", 1, 2, 1) + MAC1 + b"\0" * 6 + b"\0\0")
seed("geneve_arp_set_tunnel", tun_key, None,
     nest(SET, nest(TUNNEL, be64(T_ID, 7) + be32(T_DST, 0x0a000001) + u8(T_TTL, 64) + flag(T_CSUM) +
          be16(T_TPDST, 4789) + nest(T_VXLAN, u32(1, 0x10)))) + u32(OUTPUT, 5), FLOW_KEY)
seed("set_tunnel_geneve6", tcp_key, None,
     nest(SET, nest(TUNNEL, be64(T_ID, 7) + nla(T_DST6, A2) + u8(T_TTL, 64) +
          nla(T_GENEVE, bytes.fromhex("0102800100000001")))) + u32(OUTPUT, 5), FLOW_KEY)

l3_key = meta(6) + be16(ETHERTYPE, 0x86dd) + ipv6(17, 0x12345) + ports(UDP, 1, 2)
seed("l3_push_eth", l3_key, None, nla(PUSH_ETH, MAC1 + MAC2) + u32(OUTPUT, 1), FLOW_KEY)
seed("pop_eth", tcp_key, None, nla(POP_ETH) + u32(OUTPUT, 9), FLOW_KEY)

nested = nest(SAMPLE, u32(1, 0x80000000), nest(2, u32(OUTPUT, 3), nest(CLONE, nla(POP_VLAN) if False else b"",
               nest(SET, nla(SKB_MARK, b"\1\0\0\0")), u32(OUTPUT, 4))))
cpl = nest(CHECK_PKT_LEN, u16(1, 1500), nest(2, nest(USERSPACE, u32(1, 7))), nest(3, u32(OUTPUT, 2)))
dec = nest(DEC_TTL, nest(1, nest(USERSPACE, u32(1, 9))))
seed("nested_lists", tcp_key, tcp_mask, nested + cpl + dec + nla(HASH, struct.pack("=II", 0, 42)) + u32(RECIRC, 7),
     HAS_MASK | FLOW_KEY)
seed("trunc_meter_ctclear", tcp_key, None, nla(TRUNC, struct.pack("=I", 100)) + u32(METER, 1) + nla(CT_CLEAR) +
     u32(OUTPUT, 1), FLOW_KEY)
deep = u32(OUTPUT, 1)
for _ in range(16):
    deep = nest(CLONE, deep)
seed("clone_depth16", tcp_key, None, deep, FLOW_KEY)
seed("llc_drop", meta(1) + eth(), meta_mask() + eth(b"\xff" * 6, b"\xff" * 6) + be16(ETHERTYPE, 0xffff), b"",
     HAS_MASK | FLOW_KEY)
seed("canned_keys", b"", None, nest(SET, ports(UDP, 5, 6)) + nla(POP_VLAN) + u32(OUTPUT, 1), 1 << 2)

# Conntrack: ct keys with a mask, the ct action with every attribute, NAT,
# ct nested in the list-holding actions (their resources are released).
CT_STATE, CT_ZONE, CT_MARK, CT_LABELS, CT_TUPLE4, CT_TUPLE6 = range(22, 28)
C_COMMIT, C_ZONE, C_MARK, C_LABELS, C_HELPER, C_NAT, C_FORCE, C_EVENTMASK, C_TIMEOUT = range(1, 10)
N_SRC, N_DST, N_IP_MIN, N_IP_MAX, N_PROTO_MIN, N_PROTO_MAX, N_PERSISTENT, N_HASH, N_RANDOM = range(1, 10)
ct_key = meta(1, 3) + u32(CT_STATE, 0x22) + u16(CT_ZONE, 5) + u32(CT_MARK, 7) + nla(CT_LABELS, bytes(range(16))) + \
    nla(CT_TUPLE4, struct.pack("!IIHHB", 0x0a000001, 0x0a000002, 1234, 80, 6) + b"\0\0\0") + eth() + \
    be16(ETHERTYPE, 0x0800) + ipv4(0x0a000001, 0x0a000002, 6) + ports(TCP, 1234, 80) + be16(TCP_FLAGS, 0x010)
ct_mask = meta_mask() + u32(CT_STATE, 0x3f) + u16(CT_ZONE, 0xffff) + u32(CT_MARK, 0xff) + \
    nla(CT_LABELS, b"\xff" * 16) + nla(CT_TUPLE4, struct.pack("!IIHHB", 0, 0xffffffff, 0, 0xffff, 0xff) + b"\0\0\0") + \
    eth(b"\0" * 6, b"\0" * 6) + be16(ETHERTYPE, 0xffff) + nla(IPV4, struct.pack("!IIBBBB", 0, 0, 0xff, 0, 0, 0xff)) + \
    ports(TCP, 0, 0) + be16(TCP_FLAGS, 0)
ct_full = nest(CT, flag(C_COMMIT) + u16(C_ZONE, 5) + nla(C_MARK, struct.pack("=II", 1, 0xff)) +
               nla(C_LABELS, b"\x01" * 16 + b"\xff" * 16) + nla(C_HELPER, b"ftp\0") + u32(C_EVENTMASK, 0x3f) +
               nla(C_TIMEOUT, b"ovs_tp_1_tcp4\0") +
               nest(C_NAT, flag(N_SRC) + be32(N_IP_MIN, 0x0a000001) + be32(N_IP_MAX, 0x0a000009) +
                    u16(N_PROTO_MIN, 1000) + u16(N_PROTO_MAX, 2000) + flag(N_PERSISTENT) + flag(N_HASH)))
seed("ct_keys_full_action", ct_key, ct_mask, ct_full + u32(RECIRC, 4), HAS_MASK | FLOW_KEY)
seed("ct_nested_force_unnat", tcp_key, None,
     nest(CLONE, nest(CT, flag(C_FORCE) + u16(C_ZONE, 1)) + u32(OUTPUT, 2)) +
     nest(CHECK_PKT_LEN, u16(1, 100), nest(2, nest(CT, nest(C_NAT, b""))), nest(3, nla(CT_CLEAR))) +
     nest(DEC_TTL, nest(1, nest(CT, u16(C_ZONE, 2)))) + nest(CT, flag(C_COMMIT) + nest(C_NAT, flag(N_DST) +
     be32(N_IP_MIN, 0x0a000005) + flag(N_RANDOM))) + u32(OUTPUT, 1), FLOW_KEY)
ct6_key = meta(2) + u32(CT_STATE, 0x21) + nla(CT_TUPLE6, A1 + A2 + struct.pack("!HHB", 5, 53, 17) + b"\0\0\0") + \
    eth() + be16(ETHERTYPE, 0x86dd) + ipv6(17) + ports(UDP, 5, 53)
seed("ct6_snat_null_binding", ct6_key, None,
     nest(CT, flag(C_COMMIT) + nest(C_NAT, flag(N_SRC) + nla(N_IP_MIN, A1))) + nest(CT, flag(C_COMMIT) +
     nest(C_NAT, flag(N_SRC))) + u32(OUTPUT, 1), FLOW_KEY)
