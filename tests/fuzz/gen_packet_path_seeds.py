#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Writes the seed corpora of fuzz_packet_path and fuzz_execute (input formats
# in their sources): flows and packets as ovs-vswitchd installs and sends
# them. Attribute numbers are <linux/openvswitch.h>'s.
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")


from nla_seed import be16, be32, be64, flag, nest, nla, u8, u16, u32, u64  # noqa: E402,F401


# OVS_KEY_ATTR_*
KEY_IN_PORT, KEY_ETHERNET, KEY_ETHERTYPE, KEY_IPV4, KEY_UDP, KEY_TUNNEL, KEY_RECIRC_ID = 3, 4, 6, 7, 10, 16, 20
# OVS_ACTION_ATTR_*
A_OUTPUT, A_USERSPACE, A_SET, A_SAMPLE, A_RECIRC, A_TRUNC, A_CLONE = 1, 2, 3, 6, 7, 13, 20
A_CT, CT_COMMIT, CT_ZONE = 12, 1, 2
# OVS_USERSPACE_ATTR_*, OVS_SAMPLE_ATTR_*, OVS_TUNNEL_KEY_ATTR_*
U_PID, U_USERDATA, U_EGRESS, U_ACTIONS = 1, 2, 3, 4
S_PROB, S_ACTIONS = 1, 2
T_ID, T_IPV4_DST, T_TTL = 0, 2, 4
# OVS_PACKET_ATTR_*
P_PACKET, P_KEY, P_ACTIONS, P_PROBE, P_MRU, P_HASH = 1, 2, 3, 8, 9, 11


def udp_frame(sport, dport, payload=18, frag=0):
    ip_len = 20 + 8 + payload
    eth = bytes([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 8, 0])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 1, frag, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack("!HHHH", sport, dport, 8 + payload, 0)
    return eth + ip + udp + bytes(i & 0xff for i in range(payload))


def arp_frame():
    return bytes([0xff] * 6 + [2, 0, 0, 0, 0, 1, 8, 6]) + struct.pack("!HHBBH", 1, 0x800, 6, 4, 1) + bytes(20)


def le16(b): return struct.pack("<H", len(b)) + b


def record(t, payload): return bytes([t]) + le16(payload)


def frame_flow(port, frame, actions, recirc=0):
    return record(1 + 3 * port + 12 * recirc, le16(frame) + actions)


def packet(port, frame, flags=0, hash_=0x12345678):
    return record(2 + 3 * port, bytes([flags]) + struct.pack("<I", hash_) + frame)


def rx_tunnel(kind, vni, ipv6, ttl, opts=b"", flags=0x0004):
    """The tunnel prefix of a packet record with flags bit 6 (fuzz_packet_path.cpp rx_tunnel)."""
    src = bytes(range(1, 17)) if ipv6 else bytes([192, 168, 1, 1]) + bytes(12)
    dst = bytes(range(0x21, 0x31)) if ipv6 else bytes([192, 168, 1, 2]) + bytes(12)
    t = struct.pack("!Q", vni) + src + dst + struct.pack("!HBBHH", flags, 0, ttl, 50000, 6081)
    t += bytes([2 if ipv6 else 0, len(opts)]) + bytes(6)  # mode, options_len, struct padding (56 bytes)
    return bytes([kind]) + t + opts


def tun_packet(port, tunnel, frame, hash_=0x12345678):
    return record(2 + 3 * port, bytes([64]) + struct.pack("<I", hash_) + tunnel + frame)


def raw_flow(key, mask, actions): return record(0, le16(key) + le16(mask) + actions)


out = lambda a: u32(A_OUTPUT, a)
tunnel = nest(A_SET, nest(KEY_TUNNEL, be64(T_ID, 5), be32(T_IPV4_DST, 0xc0a80001), u8(T_TTL, 64)))
userspace = nest(A_USERSPACE, u32(U_PID, 77), nla(U_USERDATA, b"cookie!!"), u32(U_EGRESS, 3), flag(U_ACTIONS))
ct_frag_acts = nest(A_CT, flag(CT_COMMIT), u16(CT_ZONE, 7)) + out(2)
seeds_pp = {
    "hit": bytes([0]) + frame_flow(1, udp_frame(1, 2), out(2)) + packet(1, udp_frame(1, 2)),
    "miss_vport_pids": bytes([0]) + packet(1, udp_frame(3, 4)) + packet(3, arp_frame()),
    "miss_per_cpu": bytes([0x11]) + packet(1, udp_frame(3, 4)) + packet(0, udp_frame(5, 4)),
    "userspace_tunnel": bytes([2]) + frame_flow(1, udp_frame(6, 7), tunnel + userspace + out(3))
    + packet(1, udp_frame(6, 7)),
    "recirc": bytes([0]) + frame_flow(1, udp_frame(8, 9), u32(A_RECIRC, 2))
    + frame_flow(1, udp_frame(8, 9), out(2), recirc=2) + packet(1, udp_frame(8, 9)),
    "clone_trunc_sample": bytes([0]) + frame_flow(2, udp_frame(1, 1, 200), nla(A_TRUNC, struct.pack("=I", 60))
    + nest(A_CLONE, out(1)) + nest(A_SAMPLE, u32(S_PROB, 0xffffffff), nest(S_ACTIONS, out(3))) + out(1))
    + packet(2, udp_frame(1, 1, 200)),
    "udp_gso": bytes([0]) + packet(1, udp_frame(10, 11, 1500), flags=3, hash_=100),
    "mru_vlan": bytes([0]) + frame_flow(1, udp_frame(12, 13, 1000), out(2) + nest(A_CLONE, out(3)))
    + packet(1, udp_frame(12, 13, 1000), flags=8 | 16 | 32, hash_=700) + packet(1, udp_frame(12, 13), flags=4),
    "rx_tunnels": bytes([0]) + tun_packet(1, rx_tunnel(1, 0x123456, False, 63, bytes.fromhex("0102800100000001")), udp_frame(1, 2))
    + tun_packet(2, rx_tunnel(2, 5000, True, 255, struct.pack("=I", 0x00c80123)), udp_frame(3, 4))
    + tun_packet(1, rx_tunnel(3, 100, False, 64, bytes.fromhex("0200000010050000"), 0x0005), udp_frame(5, 6))
    + tun_packet(3, rx_tunnel(0, 0, False, 1, flags=0x0100), arp_frame()),
    "rx_tunnel_flow": bytes([0]) + raw_flow(nest(KEY_TUNNEL, be64(T_ID, 7), be32(T_IPV4_DST, 0xc0a80102), u8(T_TTL, 0))
                                            + u32(KEY_IN_PORT, 1) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\x08\x00")
                                            + nla(KEY_IPV4, bytes(12)),
                                            nest(KEY_TUNNEL, be64(T_ID, 0xffffffffffffffff), be32(T_IPV4_DST, 0xffffffff), u8(T_TTL, 0))
                                            + u32(KEY_IN_PORT, 0xffffffff) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\xff\xff")
                                            + nla(KEY_IPV4, bytes(12)),
                                            out(2))
    + tun_packet(1, rx_tunnel(0, 7, False, 9), udp_frame(7, 8)) + tun_packet(1, rx_tunnel(0, 8, False, 9), udp_frame(7, 8)),
    # IPv4 fragments through ct(commit,zone=7): the first and a later one
    # kept, the last completes the datagram, which goes out with its MRU.
    "ct_fragments": bytes([0]) + frame_flow(1, udp_frame(20, 21, 16, 0x2000), ct_frag_acts)
    + frame_flow(1, udp_frame(20, 21, 16, 0x2003), ct_frag_acts) + packet(1, udp_frame(20, 21, 16, 0x2003))
    + packet(1, udp_frame(20, 21, 16, 0x0006)) + packet(1, udp_frame(20, 21, 16, 0x2000)),
    "raw_wildcard": bytes([4]) + raw_flow(u32(KEY_IN_PORT, 1) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\x08\x00"),
                                          u32(KEY_IN_PORT, 0xffffffff) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\xff\xff"),
                                          out(2) + userspace) + packet(1, udp_frame(14, 15)),
}

exec_key = u32(KEY_IN_PORT, 1)
seeds_ex = {
    "output": nla(P_PACKET, udp_frame(1, 2)) + nest(P_KEY, exec_key) + nest(P_ACTIONS, out(2), out(3)),
    "local_fallback": nla(P_PACKET, udp_frame(1, 2)) + nest(P_KEY, u32(KEY_IN_PORT, 99)) + nest(P_ACTIONS, userspace),
    "mru_hash_clone": nla(P_PACKET, udp_frame(1, 2, 1400)) + nest(P_KEY, exec_key)
    + nest(P_ACTIONS, nest(A_CLONE, out(2)), userspace, out(3)) + u16(P_MRU, 600) + u64(P_HASH, (1 << 33) | 0xabc),
    "recirc": nla(P_PACKET, arp_frame()) + nest(P_KEY, exec_key) + nest(P_ACTIONS, u32(A_RECIRC, 1)),
    "tunnel": nla(P_PACKET, udp_frame(4, 4)) + nest(P_KEY, exec_key) + nest(P_ACTIONS, tunnel, userspace, out(3)),
    "budget": nla(P_PACKET, udp_frame(1, 2, 8000)) + nest(P_KEY, exec_key)
    + nest(P_ACTIONS, *[out(2)] * 300) + u16(P_MRU, 36),
    "set_udp": nla(P_PACKET, udp_frame(1, 2)) + nest(P_KEY, exec_key)
    + nest(P_ACTIONS, nest(A_SET, nla(KEY_UDP, struct.pack("!HH", 80, 81))), out(2)) + flag(P_PROBE),
    "missing_actions": nla(P_PACKET, udp_frame(1, 2)) + nest(P_KEY, exec_key),
}

for name, seeds in (("packet_path", seeds_pp), ("execute", seeds_ex)):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)
