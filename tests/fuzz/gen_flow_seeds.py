#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Writes the seed corpus of fuzz_flow_extract: one well-formed packet per
# protocol the extractor knows, behind the 3-byte control prefix
# (flags, linear, limit) described in fuzz_flow_extract.cpp.
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "flow_extract")
os.makedirs(out, exist_ok=True)

MACS = bytes.fromhex("001122334455") + bytes.fromhex("66778899aabb")
def eth(t): return MACS + struct.pack("!H", t)
def vlan(tpid, tci): return struct.pack("!HH", tpid, tci)
def ipv4(proto, frag=0x4000, ihl=5):
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 0, 1, frag, 64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return h + b"\x01" * ((ihl - 5) * 4)
A1 = bytes.fromhex("20010000000000000000000000000001")
A2 = bytes.fromhex("20010000000000000000000000000002")
def ipv6(nh): return struct.pack("!IHBB", 0x6b812345, 0, nh, 64) + A1 + A2
def ext(nh, l8): return bytes([nh, l8]) + b"\0" * (8 * (l8 + 1) - 2)
def frag(nh, off, more): return struct.pack("!BBHI", nh, 0, off | more, 7)
def tcp(doff=5, flags=0x18): return struct.pack("!HHIIHHHH", 1234, 80, 1, 2, (doff << 12) | flags, 100, 0, 0) + b"\1" * ((doff - 5) * 4)
def udp(): return struct.pack("!HHHH", 53, 5353, 8, 0)
def sctp(): return struct.pack("!HHII", 1, 2, 3, 0)
def icmp(t, c=0): return struct.pack("!BBHI", t, c, 0, 0)
def arp(op): return struct.pack("!HHBBH", 1, 0x800, 6, 4, op) + MACS[:6] + bytes([10, 0, 0, 1]) + MACS[6:] + bytes([10, 0, 0, 2])
def mpls(label, bos): return struct.pack("!I", (label << 12) | (0x100 if bos else 0) | 64)
def nd(t, opts): return icmp(t) + A2 + opts
def lla(t): return bytes([t, 1]) + MACS[:6]

ALL = b"\x00\xff\xff"
seeds = {
    "ipv4_tcp": ALL + eth(0x800) + ipv4(6) + tcp(),
    "ipv4_tcp_opts": ALL + eth(0x800) + ipv4(6, ihl=6) + tcp(8),
    "ipv4_udp": ALL + eth(0x800) + ipv4(17) + udp(),
    "ipv4_sctp": ALL + eth(0x800) + ipv4(132) + sctp(),
    "ipv4_icmp": ALL + eth(0x800) + ipv4(1) + icmp(8),
    "ipv4_frag_first": ALL + eth(0x800) + ipv4(17, 0x2000) + udp(),
    "ipv4_frag_later": ALL + eth(0x800) + ipv4(17, 0x0010) + udp(),
    "ipv6_tcp": ALL + eth(0x86dd) + ipv6(6) + tcp(),
    "ipv6_ext_udp": ALL + eth(0x86dd) + ipv6(0) + ext(60, 0) + ext(43, 1) + ext(17, 0) + udp(),
    "ipv6_ah": ALL + eth(0x86dd) + ipv6(51) + bytes([17, 4]) + b"\0" * 22 + udp(),
    "ipv6_frag_first": ALL + eth(0x86dd) + ipv6(44) + frag(17, 0, 1) + udp(),
    "ipv6_frag_later": ALL + eth(0x86dd) + ipv6(44) + frag(6, 1480, 0) + tcp(),
    "ipv6_ns": ALL + eth(0x86dd) + ipv6(58) + nd(135, lla(1)),
    "ipv6_na": ALL + eth(0x86dd) + ipv6(58) + nd(136, lla(2) + bytes([5, 1]) + b"\0" * 6),
    "ipv6_icmp": ALL + eth(0x86dd) + ipv6(58) + icmp(128),
    "arp": ALL + eth(0x806) + arp(1),
    "rarp": ALL + eth(0x8035) + arp(3),
    "vlan_tcp": ALL + MACS + vlan(0x8100, 100) + struct.pack("!H", 0x800) + ipv4(6) + tcp(),
    "qinq_udp6": ALL + MACS + vlan(0x88a8, 1) + vlan(0x8100, 2) + struct.pack("!H", 0x86dd) + ipv6(17) + udp(),
    "accel_vlan_arp": b"\x03\xff\xff" + MACS + vlan(0x8100, 5) + struct.pack("!H", 0x806) + arp(2),
    "mpls3": ALL + eth(0x8847) + mpls(1, 0) + mpls(2, 0) + mpls(3, 1) + ipv4(17) + udp(),
    "llc": ALL + eth(38) + bytes([0x42, 0x42, 3]) + b"\0" * 35,
    "snap_ip": ALL + eth(46) + bytes([0xaa, 0xaa, 3, 0, 0, 0]) + struct.pack("!H", 0x800) + ipv4(17) + udp(),
    "l3_ipv4": b"\x04\xff\xff" + ipv4(6) + tcp(),
    "l3_ipv6": b"\x14\xff\xff" + ipv6(17) + udp(),
    "nonlinear_ipv6_ns": b"\x00\x0e\xff" + eth(0x86dd) + ipv6(58) + nd(135, lla(1) + lla(2)),
    "nomem_ipv4": b"\x00\x00\x12" + eth(0x800) + ipv4(6) + tcp(),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
