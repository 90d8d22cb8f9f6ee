#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""OVS_PACKET_ATTR_HASH over raw netlink, against whichever openvswitch module
is loaded (the kernel's or ours: the same cases hold for both).

Upstream's upcalls send the skb hash with OVS_PACKET_HASH_SW_BIT (bit 32) and
OVS_PACKET_HASH_L4_BIT (bit 33) for a software / L4 hash, and EXECUTE gives a
packet back its hash and both bits:
  - MISS upcalls of UDP and TCP frames received on a port carry both bits
    (the datapath hashed them at lookup), ICMP only the software bit;
  - an ACTION upcall from a flow with a userspace action: the same, the hash
    taken before the flow's actions;
  - EXECUTE with a hash attribute and a userspace action echoes the attribute
    as sent (bits or none); without one, 0 (nobody hashed the packet);
  - EXECUTE with the bits, then hash(l4): dp_hash is jhash_1word(the restored
    hash, basis), so the restored hash was kept; without the bits the kernel
    computes a new one.
One Python process; prints PASS/FAIL lines and "N passed, M failed".
Argument: a label for the lines (e.g. the module's name)."""
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pkt import csum16 as csum  # noqa: E402
from ovsnl import (DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, VPORT_ATTR, VPORT_CMD,  # noqa: E402
                   VPORT_TYPE, Cases, Genl, nla, nla_str, nla_u32, parse_attrs)

LABEL = sys.argv[1] if len(sys.argv) > 1 else "loaded module"
PACKET_CMD_MISS, PACKET_CMD_ACTION, PACKET_CMD_EXECUTE = 1, 2, 3
PACKET_ATTR_PACKET, PACKET_ATTR_KEY, PACKET_ATTR_ACTIONS, PACKET_ATTR_HASH = 1, 2, 3, 11
KEY_ATTR_IN_PORT, KEY_ATTR_DP_HASH = 3, 19
ACTION_ATTR_USERSPACE, ACTION_ATTR_HASH = 2, 8
USERSPACE_ATTR_PID = 1
FLOW_CMD_NEW = 1
FLOW_ATTR_KEY, FLOW_ATTR_ACTIONS, FLOW_ATTR_MASK = 1, 2, 7
SW_BIT, L4_BIT = 1 << 32, 1 << 33


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=False, capture_output=True, text=True)


def frame(proto, sport=1234, dport=5678):
    """Ethernet + IPv4 + UDP/TCP/ICMP, 10.9.0.1 -> 10.9.0.2."""
    if proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + 16, 0) + b"x" * 16
    elif proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 8192, 0, 0) + b"x" * 16
    else:
        body = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"x" * 16
        l4 = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0,
                     bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("020000000002" "020000000001" "0800") + ip + l4


def jhash1(word, initval):
    """The kernel's jhash_1word() (lookup3's final mix), 32-bit."""
    m = 0xFFFFFFFF

    def rol(x, k):
        return ((x << k) | (x >> (32 - k))) & m
    a = b = c = (0xDEADBEEF + (1 << 2) + initval) & m
    a = (a + word) & m
    c ^= b
    c = (c - rol(b, 14)) & m
    a ^= c
    a = (a - rol(c, 11)) & m
    b ^= a
    b = (b - rol(a, 25)) & m
    c ^= b
    c = (c - rol(b, 16)) & m
    a ^= c
    a = (a - rol(c, 4)) & m
    b ^= a
    b = (b - rol(a, 14)) & m
    c ^= b
    c = (c - rol(b, 24)) & m
    return c


t = Cases()
nl = Genl()
up = Genl()  # the upcall socket: the port's and the userspace actions' PID
sh("ip link del ph0 2>/dev/null; ip link add ph0 type veth peer name ph1 && ip link set ph0 up && ip link set ph1 up")
sh("sysctl -qw net.ipv6.conf.ph0.disable_ipv6=1 net.ipv6.conf.ph1.disable_ipv6=1")
dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "hashdp") + nla_u32(DP_ATTR["UPCALL_PID"], 0)
                + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0]
ifindex = dp.dp_ifindex
port = nl.request("ovs_vport", VPORT_CMD["NEW"], nla_str(VPORT_ATTR["NAME"], "ph0")
                  + nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["NETDEV"]) + nla_u32(VPORT_ATTR["UPCALL_PID"], up.portid),
                  dp_ifindex=ifindex)[0].u32(VPORT_ATTR["PORT_NO"])
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind(("ph1", 0))


def upcalls(cmd, timeout=2.0):
    return [m for m in up.notifications(timeout) if m is not None and m.cmd == cmd]


def hash_of(m):
    return struct.unpack("=Q", m.attrs[PACKET_ATTR_HASH])[0] if PACKET_ATTR_HASH in m.attrs else None


def show(v):
    return "none" if v is None else "0x%x" % v


print("# %s" % LABEL)
# MISS upcalls: sent from ph1, received by the datapath on ph0.
for name, proto, want in (("UDP", 17, SW_BIT | L4_BIT), ("TCP", 6, SW_BIT | L4_BIT), ("ICMP", 1, SW_BIT)):
    tx.send(frame(proto))
    got = upcalls(PACKET_CMD_MISS)
    h = hash_of(got[0]) if got else None
    t.ok("%s: MISS upcall of %s carries hash bits %s" % (LABEL, name, show(want)),
         h is not None and (h & ~0xFFFFFFFF) == want and h & 0xFFFFFFFF != 0,
         "%d upcalls, hash %s" % (len(got), show(h)))

# An ACTION upcall from a flow (in_port(ph0), any packet) whose action is userspace.
# Key: in_port, Ethernet, IPv4 (any addresses); mask: in_port and the ethertype.
eth, ethertype, ipv4 = 4, 6, 7
key = nla(FLOW_ATTR_KEY, nla_u32(KEY_ATTR_IN_PORT, port) + nla(eth, b"\0" * 12)
          + nla(ethertype, struct.pack("!H", 0x0800)) + nla(ipv4, b"\0" * 12))
mask = nla(FLOW_ATTR_MASK, nla_u32(KEY_ATTR_IN_PORT, 0xFFFFFFFF) + nla(eth, b"\0" * 12)
           + nla(ethertype, struct.pack("!H", 0xFFFF)) + nla(ipv4, b"\0" * 12))
acts = nla(FLOW_ATTR_ACTIONS, nla(ACTION_ATTR_USERSPACE, nla_u32(USERSPACE_ATTR_PID, up.portid)))
nl.request("ovs_flow", FLOW_CMD_NEW, key + mask + acts, dp_ifindex=ifindex, echo=False)
tx.send(frame(17, 4000, 53))
got = upcalls(PACKET_CMD_ACTION)
h = hash_of(got[0]) if got else None
t.ok("%s: ACTION upcall from a flow's userspace action carries the lookup's hash (sw|l4)" % LABEL,
     h is not None and (h >> 32) == 3 and h & 0xFFFFFFFF != 0, "%d upcalls, hash %s" % (len(got), show(h)))


def execute(pkt, actions, hash_attr=None):
    attrs = nla(PACKET_ATTR_PACKET, pkt) + nla(PACKET_ATTR_KEY, nla_u32(KEY_ATTR_IN_PORT, port))
    attrs += nla(PACKET_ATTR_ACTIONS, actions)
    if hash_attr is not None:
        attrs += nla(PACKET_ATTR_HASH, struct.pack("=Q", hash_attr))
    nl.request("ovs_packet", PACKET_CMD_EXECUTE, attrs, dp_ifindex=ifindex, echo=False)
    got = upcalls(PACKET_CMD_ACTION)
    return got[0] if got else None


userspace = nla(ACTION_ATTR_USERSPACE, nla_u32(USERSPACE_ATTR_PID, up.portid))
for sent in (0x312345678, 0x112345678, 0x212345678, 0x12345678, None):
    m = execute(frame(17), userspace, sent)
    h = hash_of(m) if m else None
    t.ok("%s: EXECUTE with hash %s, userspace action: the upcall's hash is %s" % (LABEL, show(sent), show(sent or 0)),
         h == (sent or 0), "got %s" % show(h))

# dp_hash after hash(l4, basis): uses the restored hash only when a type bit came back.
basis = 0x77
hash_act = nla(ACTION_ATTR_HASH, struct.pack("=II", 0, basis))
for sent, kept in ((0x312345678, True), (0x112345678, True), (0x12345678, False)):
    m = execute(frame(17), hash_act + userspace, sent)
    dp_hash = None
    if m and PACKET_ATTR_KEY in m.attrs:
        k = parse_attrs(m.attrs[PACKET_ATTR_KEY])
        if KEY_ATTR_DP_HASH in k:
            dp_hash = struct.unpack("=I", k[KEY_ATTR_DP_HASH])[0]
    want = jhash1(sent & 0xFFFFFFFF, basis) or 1
    t.ok("%s: EXECUTE with hash %s then hash(l4): dp_hash %s jhash_1word(0x12345678)" %
         (LABEL, show(sent), "is" if kept else "is not"),
         dp_hash is not None and (dp_hash == want) == kept, "dp_hash %s, jhash %s" % (show(dp_hash), show(want)))

tx.close()
nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "hashdp"), echo=False)
sh("ip link del ph0")
up.close()
nl.close()
sys.exit(t.summary())
