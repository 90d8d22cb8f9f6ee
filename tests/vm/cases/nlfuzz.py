#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nlfuzz: a structure-aware generic-netlink fuzzer for our openvswitch.ko, run
in the guest (tests/vm/cases/nlfuzz.sh) as one Python process.

Environment: datapath fz0 with ports h1 (1) and h2 (2) (veths whose peers n1,
n2 live in namespaces fzns1, fzns2), an internal port fzi (3), and a free veth
pair fzv0/fzv1 for the fuzzer's own netdev ports.  Background threads send
plausible frames into h1 and h2 from the namespaces (traffic through whatever
flows the fuzzer installed, and misses) and read the upcalls (the datapath's
and the ports' upcall PID), checking that each is well formed.

Requests: for each of ovs_datapath, ovs_vport, ovs_flow, ovs_packet (and
ovs_meter / ovs_ct_limit when the module registers them) valid-looking
attribute trees built from <linux/openvswitch.h>: keys with encap and tunnel
nests and matching masks, action lists with nested sample/clone/
check_pkt_len/dec_ttl, set/set_masked, userspace with userdata, trunc,
recirc, hash, push/pop; EXECUTE with IPv4/IPv6 (fragments too), VLAN, MPLS,
ARP and garbage frames up to 65,000 bytes, MRU and hash; targets are mostly
the real datapath, ports and flows.  On top, mutations: bit flips, lengths
off by N, truncation, duplicate/unknown attributes, nesting garbage, deep
nesting, extreme sizes, wrong header fields, several messages per datagram.
Every reply is read and checked for well-formedness; errnos are counted.

Between batches (--batch messages) a sanity check: fz0 answers a GET, its
flow count equals the number of flows dumped, its ports are consistent with
the netdevs, a known flow forwards a known frame n1 -> n2, an EXECUTE output
reaches n2.  At the end every datapath is deleted and the module's count of
live allocations (parameter live_allocs) must return to its value at start.

Reproducible: --seed N (the datagram sequence depends only on the seed and
the module's replies; the background traffic is timing-dependent).  The last
--keep datagrams are journaled to /results/nlfuzz/ as they are sent (two
alternating files journal-0.bin and journal-1.bin, so a crash keeps them;
merged into last-datagrams.bin at the end); --replay FILE|DIR sends them
again (family ids and fz0's ifindex patched to this boot's).

Amplification cap: a request whose estimated work (outputs and userspace
actions in its action lists, times the number of MRU fragments of an
EXECUTE'd packet) exceeds --max-amp (default 0: no cap) is not sent (counted
as "capped").  The generator does produce such requests (e.g. a 65,000-byte
frame with a small MRU and 4,001 outputs, --p-amp); the module's packet
budget (actions/actions.h) bounds them, so they are sent by default.  The
cap is there to fuzz a module without a budget (the kernel's own spends
minutes on them).
"""
import argparse
import errno
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, GENL_ID_CTRL, NLM_F_ACK, NLM_F_DUMP,  # noqa: E402
                   NLM_F_ECHO, NLM_F_MULTI, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, Genl, NlError, nla, nla_str,
                   nla_u32, parse_attrs)
from pkt import ROOT_NS, frame, packet_socket, setns  # noqa: E402

OUT = os.environ.get("OVSDP_RESULTS", "/results") + "/nlfuzz"
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND = 0x100, 0x200, 0x400, 0x800
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000

# ---- <linux/openvswitch.h> ---------------------------------------------------------------
FAMILIES = ("ovs_datapath", "ovs_vport", "ovs_flow", "ovs_packet", "ovs_meter", "ovs_ct_limit")
DP_NEW, DP_DEL, DP_GET, DP_SET = 1, 2, 3, 4
DPA_NAME, DPA_UPCALL_PID, DPA_STATS, DPA_MEGAFLOW_STATS, DPA_USER_FEATURES = 1, 2, 3, 4, 5
DPA_MASKS_CACHE_SIZE, DPA_PER_CPU_PIDS, DPA_IFINDEX = 7, 8, 9
VP_NEW, VP_DEL, VP_GET, VP_SET = 1, 2, 3, 4
VPA_PORT_NO, VPA_TYPE, VPA_NAME, VPA_OPTIONS, VPA_UPCALL_PID, VPA_STATS, VPA_IFINDEX, VPA_NETNSID = 1, 2, 3, 4, 5, 6, 8, 9
VPT_NETDEV, VPT_INTERNAL = 1, 2
FL_NEW, FL_DEL, FL_GET, FL_SET = 1, 2, 3, 4
FA_KEY, FA_ACTIONS, FA_STATS, FA_TCP_FLAGS, FA_USED, FA_CLEAR, FA_MASK, FA_PROBE, FA_UFID, FA_UFID_FLAGS = \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10
FA_NUMA_STATS = 200  # ovsdp extension (datapath/ovsdp_ext.h)
PK_MISS, PK_ACTION, PK_EXECUTE = 1, 2, 3
PA_PACKET, PA_KEY, PA_ACTIONS, PA_USERDATA, PA_EGRESS_TUN_KEY, PA_PROBE, PA_MRU, PA_LEN, PA_HASH = \
    1, 2, 3, 4, 5, 8, 9, 10, 11
(K_ENCAP, K_PRIORITY, K_IN_PORT, K_ETHERNET, K_VLAN, K_ETHERTYPE, K_IPV4, K_IPV6, K_TCP, K_UDP, K_ICMP, K_ICMPV6,
 K_ARP, K_ND, K_SKB_MARK, K_TUNNEL, K_SCTP, K_TCP_FLAGS, K_DP_HASH, K_RECIRC_ID, K_MPLS, K_CT_STATE, K_CT_ZONE,
 K_CT_MARK, K_CT_LABELS, K_CT_TUPLE4, K_CT_TUPLE6, K_NSH, K_PACKET_TYPE, K_ND_EXT, K_TUNNEL_INFO,
 K_IPV6_EXTHDRS) = range(1, 33)
(T_ID, T_IPV4_SRC, T_IPV4_DST, T_TOS, T_TTL, T_DF, T_CSUM, T_OAM, T_GENEVE, T_TP_SRC, T_TP_DST, T_VXLAN,
 T_IPV6_SRC, T_IPV6_DST, T_PAD, T_ERSPAN, T_INFO_BRIDGE) = range(0, 17)
(A_OUTPUT, A_USERSPACE, A_SET, A_PUSH_VLAN, A_POP_VLAN, A_SAMPLE, A_RECIRC, A_HASH, A_PUSH_MPLS, A_POP_MPLS,
 A_SET_MASKED, A_CT, A_TRUNC, A_PUSH_ETH, A_POP_ETH, A_CT_CLEAR, A_PUSH_NSH, A_POP_NSH, A_METER, A_CLONE,
 A_CHECK_PKT_LEN, A_ADD_MPLS, A_DEC_TTL) = range(1, 24)
US_PID, US_USERDATA, US_EGRESS_TUN_PORT, US_ACTIONS = 1, 2, 3, 4
SAMPLE_PROB, SAMPLE_ACTIONS = 1, 2
CPL_LEN, CPL_GREATER, CPL_LE = 1, 2, 3
DEC_TTL_ACTION = 1
# Action attributes whose payload holds action lists (directly or in a sub-attribute).
ACTION_NESTS = {A_SAMPLE, A_CLONE, A_CHECK_PKT_LEN, A_DEC_TTL}

JOURNAL_HDR = "=4sIiIB"
# Errnos a request of ours is expected to get; others are listed in the report.
COMMON_ERRNOS = {"ok", "EINVAL", "ENODEV", "ENOENT", "EOPNOTSUPP", "ENOTSUP", "ERANGE", "EAFNOSUPPORT", "EEXIST",
                 "EFBIG", "EBUSY", "E2BIG", "EMSGSIZE", "ENOTDIR"}
NCPUS = os.cpu_count() or 1  # a vport takes at most one upcall PID per possible CPU
ERRNAME = dict(errno.errorcode)
ERRNAME[0] = "ok"


# ---- Attribute trees ----------------------------------------------------------------------
class N:
    """An attribute: type and a payload (bytes) or children (list of N).
    `delta` is added to the length field when it is written (a mutation)."""
    __slots__ = ("t", "v", "delta")

    def __init__(self, t, v, delta=0):
        self.t, self.v, self.delta = t, v, delta

    def body(self):
        return self.v if isinstance(self.v, (bytes, bytearray)) else ser(self.v)


def ser(nodes):
    out = []
    for n in nodes:
        body = n.body()
        length = (4 + len(body) + n.delta) & 0xFFFF
        out.append(struct.pack("=HH", length, n.t & 0xFFFF) + body + b"\0" * (-len(body) % 4))
    return b"".join(out)


def u8(t, v):
    return N(t, struct.pack("=B", v & 0xFF))


def u16(t, v, be=False):
    return N(t, struct.pack("!H" if be else "=H", v & 0xFFFF))


def u32(t, v, be=False):
    return N(t, struct.pack("!I" if be else "=I", v & 0xFFFFFFFF))


def u64(t, v, be=False):
    return N(t, struct.pack("!Q" if be else "=Q", v & 0xFFFFFFFFFFFFFFFF))


def flag(t):
    return N(t, b"")


def walk(nodes, depth=0):
    """Every (node, parent list, depth) of a tree."""
    for n in nodes:
        yield n, nodes, depth
        if isinstance(n.v, list):
            yield from walk(n.v, depth + 1)


def attrs_ok(data, spec=None, depth=0):
    """'' if `data` is a well-formed attribute stream, else why.  `spec` maps
    the types of nested attributes to the spec of their contents."""
    off = 0
    while off + 4 <= len(data):
        length, t = struct.unpack_from("=HH", data, off)
        if length < 4 or off + length > len(data):
            return "attribute %d at %d: length %d past the end (%d)" % (t, off, length, len(data))
        sub = spec.get(t & 0x3FFF) if spec else None
        if sub is not None and depth < 32:
            why = attrs_ok(data[off + 4:off + length], sub, depth + 1)
            if why:
                return "in %d: %s" % (t, why)
        off += (length + 3) & ~3
    if len(data) - off >= 4:
        return "trailing bytes"
    return ""


# What the module writes: keys (encap, tunnel nests) and action lists.
KEY_SPEC = {K_TUNNEL: {}}
KEY_SPEC[K_ENCAP] = KEY_SPEC
# A userspace action is kept and echoed as it was sent (the kernel's module
# does the same: its liberal parse ignores trailing bytes inside it), so its
# contents are not checked here.
ACT_SPEC = {A_SET: KEY_SPEC, A_SET_MASKED: {}, A_CT: {}}
ACT_SPEC.update({A_CLONE: ACT_SPEC, A_SAMPLE: {SAMPLE_ACTIONS: ACT_SPEC},
                 A_CHECK_PKT_LEN: {CPL_GREATER: ACT_SPEC, CPL_LE: ACT_SPEC}, A_DEC_TTL: {DEC_TTL_ACTION: ACT_SPEC}})
FLOW_SPEC = {FA_KEY: KEY_SPEC, FA_MASK: KEY_SPEC, FA_ACTIONS: ACT_SPEC}
UPCALL_SPEC = {PA_KEY: KEY_SPEC, PA_EGRESS_TUN_KEY: {}, PA_ACTIONS: ACT_SPEC}


# ---- Frames ---------------------------------------------------------------------------------
MAC1, MAC2 = "02:00:00:00:f1:01", "02:00:00:00:f2:02"
IP1, IP2 = "10.9.0.1", "10.9.0.2"


class Gen:
    """The request generator.  All randomness comes from self.r (seeded)."""

    def __init__(self, rng, env, args):
        self.r = rng
        self.env = env
        self.args = args
        self.flows = []         # (key N list, mask N list or None, ufid bytes or None) installed recently
        self.recirc_ids = [0, 1, 2, 101, 0xFFFFFFFF]
        self.fresh = 0
        self.pools = {False: [], True: []}
        self.strict = False  # this request: only choices the module should accept

    # -- small values --
    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p):
        return self.r.random() < p

    def rbytes(self, n):
        return self.r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def interesting32(self):
        return self.pick([0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE,
                          0xFFFFFFFF, self.r.getrandbits(32), self.r.randrange(16)])

    def port_no(self):
        ports = self.env.port_nos()
        if (self.strict or self.chance(0.85)) and ports:
            return self.pick(ports)
        return self.pick([0, 65534, 65535, 65536, 0xFFFFFFFF, self.r.randrange(1024), self.r.getrandbits(32)])

    def upcall_pid(self):
        return self.env.listener_pid if self.strict or self.chance(0.8) else self.interesting32()

    def ip4(self):
        return self.pick([socket.inet_aton(IP1), socket.inet_aton(IP2), b"\0" * 4, b"\xff" * 4, self.rbytes(4),
                          socket.inet_aton("192.0.2.7"), socket.inet_aton("224.0.0.1")])

    def ip6(self):
        return self.pick([socket.inet_pton(socket.AF_INET6, "2001:db8::1"), socket.inet_pton(socket.AF_INET6, "fe80::1"),
                          b"\0" * 16, b"\xff" * 16, self.rbytes(16)])

    def macb(self):
        return self.pick([bytes.fromhex(MAC1.replace(":", "")), bytes.fromhex(MAC2.replace(":", "")),
                          b"\xff" * 6, b"\0" * 6, self.rbytes(6)])

    # -- frames --
    def frame(self, big=False):
        """A plausible Ethernet frame (or, sometimes, garbage); mostly from a
        pool of recent ones (checksums of 65,000 bytes are slow under TCG)."""
        pool = self.pools[big]
        if len(pool) >= 48 and not self.chance(0.15):
            return self.pick(pool)
        f = self.new_frame(big)
        if len(pool) < 48:
            pool.append(f)
        else:
            pool[self.r.randrange(48)] = f
        return f

    def new_frame(self, big):
        r = self.r
        kind = self.pick(["udp4", "tcp4", "sctp4", "icmp4", "udp6", "tcp6", "icmp6", "nd6", "arp", "frag4",
                          "frag6", "vlan", "qinq", "mpls", "llc", "garbage", "short", "udp4"])
        if big and self.chance(0.5):
            paylen = self.pick([1500, 3000, 9000, 20000, 65000 - 60, r.randrange(65000 - 80)])
        else:
            paylen = self.pick([0, 1, 18, 64, 200, 1400, r.randrange(1500)])
        payload = (b"NLFZ" + self.rbytes(min(paylen, 32)) + b"\xa5" * max(0, paylen - 36))[:paylen]
        p = dict(esrc=MAC1, edst=MAC2, src=IP1, dst=IP2, proto=17, sport=r.randrange(65536),
                 dport=r.randrange(65536), payload=payload)
        if kind.endswith("6") or kind in ("frag6",):
            p.update(src="2001:db8::1", dst="2001:db8::2")
        if kind.startswith("tcp"):
            p["proto"] = 6
        elif kind.startswith("sctp"):
            p["proto"] = 132
            p["payload"] = payload[:1400]  # CRC32c in Python: keep it short
        if kind in ("udp4", "tcp4", "sctp4", "udp6", "tcp6"):
            return frame(p)
        if kind == "vlan":
            p["vlans"] = [(0x8100, r.randrange(65536))]
            return frame(p)
        if kind == "qinq":
            p["vlans"] = [(0x88A8, r.randrange(65536)), (0x8100, r.randrange(65536))]
            return frame(p)
        if kind == "mpls":
            p["mpls"] = [(r.randrange(1 << 20) << 12) | (1 << 8) | 64] if self.chance(0.6) else \
                [(r.randrange(1 << 20) << 12) | 64, (r.randrange(1 << 20) << 12) | (1 << 8) | 64]
            return frame(p)
        eth = bytes.fromhex(MAC2.replace(":", "")) + bytes.fromhex(MAC1.replace(":", ""))
        if kind == "icmp4" or kind == "frag4":
            proto = 1 if kind == "icmp4" else self.pick([17, 6, 1])
            body = struct.pack("!BBHI", 8, 0, 0, 1) + payload if proto == 1 else \
                struct.pack("!HHHH", 1, 2, 8 + len(payload), 0) + payload
            fo = 0 if kind == "icmp4" else self.pick([0x2000, 0x2000 | r.randrange(1, 0x1FFF), r.randrange(1, 0x1FFF),
                                                       r.getrandbits(16)])
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), r.getrandbits(16), fo, 64, proto, 0,
                              socket.inet_aton(IP1), socket.inet_aton(IP2))
            return eth + b"\x08\x00" + hdr + body
        if kind in ("icmp6", "nd6", "frag6"):
            src, dst = socket.inet_pton(socket.AF_INET6, "2001:db8::1"), socket.inet_pton(socket.AF_INET6, "2001:db8::2")
            if kind == "frag6":
                l4 = struct.pack("!HHHH", 1, 2, 8 + len(payload), 0) + payload
                fo = self.pick([1, r.randrange(1, 0x2000) << 3, (r.randrange(1, 0x2000) << 3) | 1])
                body, nh = struct.pack("!BBHI", 17, 0, fo, r.getrandbits(32)) + l4, 44
            elif kind == "nd6":
                t = self.pick([135, 136])
                body = struct.pack("!BBHI", t, 0, 0, 0) + self.ip6() + \
                    self.pick([b"", struct.pack("!BB", 1 if t == 135 else 2, 1) + self.macb(), self.rbytes(8)])
                nh = 58
            else:
                body, nh = struct.pack("!BBHI", self.pick([128, 129, 1, 2]), 0, 0, 0) + payload, 58
            return eth + b"\x86\xdd" + struct.pack("!IHBB", 6 << 28, len(body), nh, 255) + src + dst + body
        if kind == "arp":
            return eth + self.pick([b"\x08\x06", b"\x80\x35"]) + struct.pack("!HHBBH", 1, 0x0800, 6, 4, self.pick([1, 2, 3])) \
                + self.macb() + self.ip4() + self.macb() + self.ip4()
        if kind == "llc":
            return eth + struct.pack("!H", 8 + len(payload)) + self.pick([b"\xaa\xaa\x03\0\0\0\x08\x00",
                                                                          b"\xaa\xaa\x03\0\0\0\x05\xdc", b"\x42\x42\x03"]) + payload
        if kind == "short":
            return (eth + b"\x08\x00\x45")[:self.pick([14, 15, 16, 20, 33])]
        return eth + self.rbytes(2) + self.rbytes(self.pick([0, 4, 20, 40, 100]))

    # -- keys --
    def key_tree(self, exact_frame_fields=True):
        """A coherent flow key: metadata, L2, L3, L4 (list of N)."""
        r = self.r
        k = []
        if self.chance(0.9):
            k.append(u32(K_IN_PORT, self.port_no()))
        if self.chance(0.2):
            k.append(u32(K_PRIORITY, self.interesting32()))
        if self.chance(0.2):
            k.append(u32(K_SKB_MARK, self.interesting32()))
        if self.chance(0.3):
            k.append(u32(K_RECIRC_ID, self.pick(self.recirc_ids)))
        if self.chance(0.15):
            k.append(u32(K_DP_HASH, self.interesting32()))
        if self.chance(0.15):
            k.append(N(K_TUNNEL, self.tunnel_key()))
        if self.chance(0.04) and not self.strict:
            k.append(self.pick([u32(K_CT_STATE, r.getrandbits(8)), u16(K_CT_ZONE, r.getrandbits(16)),
                                u32(K_CT_MARK, r.getrandbits(32)), N(K_CT_LABELS, self.rbytes(16)),
                                N(K_CT_TUPLE4, self.rbytes(13)), N(K_CT_TUPLE6, self.rbytes(37)),
                                N(K_NSH, [N(1, self.rbytes(8))]), N(K_ND_EXT, self.rbytes(8)),
                                N(K_TUNNEL_INFO, self.rbytes(16)), N(K_IPV6_EXTHDRS, self.rbytes(2))]))
        if self.chance(0.05) and not self.strict:  # an L3 packet: no Ethernet, packet_type says what it is
            k.append(u32(K_PACKET_TYPE, (1 << 16) | self.pick([0x0800, 0x86DD, 0x8847]), be=True))
            k.append(u16(K_ETHERTYPE, 0x0800, be=True))
            k.append(self.l3_key(0x0800))
            return k
        k.append(N(K_ETHERNET, self.macb() + self.macb()))
        et = self.pick([0x0800, 0x0800, 0x86DD, 0x86DD, 0x0806, 0x8035, 0x8847, 0x8848, 0x8100, 0x88A8, 0x05FF,
                        0x1234, r.getrandbits(16)] if not self.strict else [0x0800, 0x0800, 0x86DD, 0x0806, 0x8100])
        if et in (0x8100, 0x88A8):
            k.append(u16(K_ETHERTYPE, et, be=True))
            k.append(u16(K_VLAN, self.pick([0x1000 | r.randrange(4096), r.getrandbits(16), 0]
                                           if not self.strict else [0x1000 | r.randrange(4096)]), be=True))
            inner = self.pick([0x0800, 0x86DD, 0x8100, 0x0806, r.getrandbits(16)] if not self.strict else [0x0800, 0x86DD])
            enc = [u16(K_ETHERTYPE, inner, be=True)]
            if inner == 0x8100 and self.chance(0.8):
                enc.append(u16(K_VLAN, 0x1000 | r.randrange(4096), be=True))
                i2 = self.pick([0x0800, 0x86DD])
                enc.append(N(K_ENCAP, [u16(K_ETHERTYPE, i2, be=True)] + self.l3_l4(i2)))
            else:
                enc += self.l3_l4(inner)
            k.append(N(K_ENCAP, enc if self.strict or self.chance(0.95) else []))
            return k
        k.append(u16(K_ETHERTYPE, et, be=True))
        k += self.l3_l4(et)
        return k

    def l3_key(self, et):
        r = self.r
        frags = [0, 0, 1, 2, r.getrandbits(8)] if not self.strict else [0, 0, 0, 1, 2]
        if et == 0x0800:
            return N(K_IPV4, self.ip4() + self.ip4() + bytes([self.pick([6, 17, 132, 1, 0, r.getrandbits(8)]),
                                                              r.getrandbits(8), self.pick([64, 1, 0]),
                                                              self.pick(frags)]))
        return N(K_IPV6, self.ip6() + self.ip6() + struct.pack("!I", self.pick([0, r.getrandbits(20), r.getrandbits(32)]
                                                                               if not self.strict else [0, r.getrandbits(20)]))
                 + bytes([self.pick([6, 17, 132, 58, 44, r.getrandbits(8)]), r.getrandbits(8), 64, self.pick(frags)]))

    def l3_l4(self, et):
        r = self.r
        if et in (0x0806, 0x8035):
            return [N(K_ARP, self.ip4() + self.ip4() + struct.pack("!H", self.pick([1, 2, 0xFFFF]))
                      + self.macb() + self.macb() + b"\0\0")]  # struct ovs_key_arp: 24 bytes
        if et in (0x8847, 0x8848):
            n = self.pick([1, 1, 2, 3, 0] if not self.strict else [1])
            return [N(K_MPLS, b"".join(struct.pack("!I", r.getrandbits(32)) for _ in range(n)) if n else b"\0\0")]
        if et not in (0x0800, 0x86DD):
            return []
        out = []
        if self.strict or self.chance(0.9):
            l3 = self.l3_key(et)
            out.append(l3)
            proto, frag = l3.v[-4], l3.v[-1]  # both key structs end with proto, tos/tclass, ttl/hlimit, frag
            if frag != 2 and (self.strict or self.chance(0.85)):
                if proto == 6:
                    out.append(N(K_TCP, struct.pack("!HH", r.getrandbits(16), r.getrandbits(16))))
                    if self.strict or self.chance(0.8):
                        out.append(u16(K_TCP_FLAGS, r.getrandbits(12), be=True))
                elif proto == 17:
                    out.append(N(K_UDP, struct.pack("!HH", r.getrandbits(16), r.getrandbits(16))))
                elif proto == 132:
                    out.append(N(K_SCTP, struct.pack("!HH", r.getrandbits(16), r.getrandbits(16))))
                elif proto == 1:
                    out.append(N(K_ICMP, bytes([r.getrandbits(8), r.getrandbits(8)])))
                elif proto == 58:
                    t = self.pick([135, 136, 128, r.getrandbits(8)])
                    out.append(N(K_ICMPV6, bytes([t, 0])))
                    if t in (135, 136) and self.chance(0.8):
                        out.append(N(K_ND, self.ip6() + self.macb() + self.macb()))
                elif self.chance(0.3) and not self.strict:
                    out.append(N(self.pick([K_TCP, K_UDP, K_SCTP]), self.rbytes(4)))
        return out

    def tunnel_key(self):
        r = self.r
        t = []
        if self.chance(0.8):
            t.append(u64(T_ID, r.getrandbits(64), be=True))
        if self.chance(0.7):
            t.append(N(T_IPV4_DST, self.ip4()))
            if self.chance(0.6):
                t.append(N(T_IPV4_SRC, self.ip4()))
        elif self.chance(0.6):
            t.append(N(T_IPV6_DST, self.ip6()))
            if self.chance(0.5):
                t.append(N(T_IPV6_SRC, self.ip6()))
        if self.chance(0.7):
            t.append(u8(T_TTL, self.pick([64, 0, 255])))
        if self.chance(0.3):
            t.append(u8(T_TOS, r.getrandbits(8)))
        for f in (T_DF, T_CSUM, T_OAM, T_INFO_BRIDGE):
            if self.chance(0.15):
                t.append(flag(f))
        if self.chance(0.3):
            t.append(u16(T_TP_DST, self.pick([4789, 6081, r.getrandbits(16)]), be=True))
        if self.chance(0.2):
            t.append(u16(T_TP_SRC, r.getrandbits(16), be=True))
        if self.chance(0.1):
            opts = b"".join(struct.pack("!HBB", 0x0102, 0x80, n) + self.rbytes(4 * n) for n in
                            [r.randrange(4) for _ in range(r.randrange(1, 4))])
            t.append(N(T_GENEVE, opts if self.chance(0.8) else self.rbytes(r.randrange(1, 24))))
        if self.chance(0.1):
            t.append(N(T_VXLAN, [u32(1, r.getrandbits(32))]))
        if self.chance(0.05):
            t.append(N(T_ERSPAN, self.rbytes(self.pick([4, 8, 12, 20]))))
        return t

    def mask_of(self, key):
        """A mask with the key's structure: exact, wildcard or random per field."""
        m = []
        for n in key:
            if self.strict:  # exact, except fields that may be wildcarded alone
                zero = n.t in (K_ETHERNET, K_UDP, K_TCP, K_SCTP, K_SKB_MARK, K_PRIORITY, K_DP_HASH) and self.chance(0.4)
                m.append(N(n.t, self.mask_of(n.v) if isinstance(n.v, list) else (b"\0" if zero else b"\xff") * len(n.v)))
                continue
            if self.chance(0.08):
                continue
            if isinstance(n.v, list):
                m.append(N(n.t, self.mask_of(n.v)))
            else:
                how = self.pick(["ones", "ones", "ones", "zero", "rand"] if not self.strict else ["ones", "ones", "zero"])
                ln = len(n.v)
                m.append(N(n.t, b"\xff" * ln if how == "ones" else b"\0" * ln if how == "zero" else self.rbytes(ln)))
        if self.chance(0.05) and not self.strict:
            m.append(self.pick([u32(K_IN_PORT, 0xFFFFFFFF), u32(K_SKB_MARK, 0xFFFFFFFF), N(K_TCP, b"\xff" * 4)]))
        return m

    # -- actions --
    def set_key_attr(self, masked):
        r = self.r
        choices = [
            lambda: N(K_ETHERNET, self.macb() + self.macb()),
            lambda: self.l3_key(0x0800),
            lambda: self.l3_key(0x86DD),
            lambda: N(K_TCP, self.rbytes(4)),
            lambda: N(K_UDP, self.rbytes(4)),
            lambda: N(K_SCTP, self.rbytes(4)),
            lambda: u32(K_SKB_MARK, r.getrandbits(32)),
            lambda: u32(K_PRIORITY, r.getrandbits(32)),
            lambda: N(K_MPLS, struct.pack("!I", r.getrandbits(32))),
            lambda: N(K_ARP, self.rbytes(24)),
            lambda: N(K_ND, self.rbytes(28)),
            lambda: N(K_ICMP, self.rbytes(2)),
            lambda: u32(K_IN_PORT, self.port_no()),
            lambda: u16(K_ETHERTYPE, r.getrandbits(16)),
            lambda: u16(K_VLAN, r.getrandbits(16)),
            lambda: N(K_NSH, [N(1, self.rbytes(8))]),
        ]
        if not masked:
            choices.append(lambda: N(K_TUNNEL, self.tunnel_key()))
            choices.append(lambda: N(K_TUNNEL, self.tunnel_key()))
        n = self.pick(choices)()
        if masked and isinstance(n.v, bytes):
            n.v = n.v + self.pick([b"\xff" * len(n.v), self.rbytes(len(n.v)), b"\0" * len(n.v)])
        return n

    def strict_action(self, depth):
        """An action the module should accept after any key (to reach the
        packet path with what a real client sends)."""
        r = self.r
        t = self.pick([A_OUTPUT] * 6 + [A_USERSPACE, A_SET_MASKED, A_SET_MASKED, A_PUSH_VLAN, A_POP_VLAN, A_SAMPLE,
                                         A_CLONE, A_CHECK_PKT_LEN, A_RECIRC, A_HASH, A_TRUNC, A_DEC_TTL])
        if t == A_OUTPUT:
            return u32(t, self.pick(self.env.port_nos() or [1]))
        if t == A_USERSPACE:
            return N(t, [u32(US_PID, self.env.listener_pid), N(US_USERDATA, self.rbytes(self.pick([0, 4, 8, 24])))])
        if t == A_SET_MASKED:
            n = self.pick([N(K_ETHERNET, self.macb() + self.macb() + b"\xff" * 12), N(K_SKB_MARK, self.rbytes(4) + b"\xff" * 4),
                           N(K_PRIORITY, self.rbytes(4) + b"\xff" * 4)])
            return N(t, [n])
        if t == A_PUSH_VLAN:
            return N(t, struct.pack("!HH", self.pick([0x8100, 0x88A8]), 0x1000 | r.randrange(4096)))
        if t == A_POP_VLAN:
            return N(t, b"")
        if t == A_SAMPLE:
            return N(t, [u32(SAMPLE_PROB, self.pick([0xFFFFFFFF, 0x80000000, 0])), N(SAMPLE_ACTIONS, self.actions(depth + 1))])
        if t == A_CLONE:
            return N(t, self.actions(depth + 1))
        if t == A_CHECK_PKT_LEN:
            return N(t, [u16(CPL_LEN, self.pick([64, 200, 1000, 1500])), N(CPL_GREATER, self.actions(depth + 1)),
                         N(CPL_LE, self.actions(depth + 1))])
        if t == A_RECIRC:
            return u32(t, self.pick(self.recirc_ids))
        if t == A_HASH:
            return N(t, struct.pack("=II", 0, r.getrandbits(32)))  # OVS_HASH_ALG_L4
        if t == A_TRUNC:
            return u32(t, self.pick([14, 60, 100, 1500]))
        return N(t, [N(DEC_TTL_ACTION, self.actions(depth + 1))])

    def action(self, depth):
        r = self.r
        if self.strict:
            return self.strict_action(depth)
        w = [(A_OUTPUT, 30), (A_USERSPACE, 6), (A_SET, 8), (A_SET_MASKED, 10), (A_PUSH_VLAN, 5), (A_POP_VLAN, 4),
             (A_SAMPLE, 4), (A_RECIRC, 4), (A_HASH, 3), (A_PUSH_MPLS, 3), (A_POP_MPLS, 3), (A_TRUNC, 4),
             (A_PUSH_ETH, 2), (A_POP_ETH, 2), (A_CLONE, 4), (A_CHECK_PKT_LEN, 4), (A_ADD_MPLS, 2), (A_DEC_TTL, 4),
             (A_CT, 1), (A_CT_CLEAR, 1), (A_PUSH_NSH, 1), (A_POP_NSH, 1), (A_METER, 1), (0, 1)]
        t = r.choices([a for a, _ in w], [x for _, x in w])[0]
        if t == A_OUTPUT:
            return u32(A_OUTPUT, self.port_no())
        if t == A_USERSPACE:
            kids = [u32(US_PID, self.upcall_pid())]
            if self.chance(0.6):
                kids.append(N(US_USERDATA, self.rbytes(self.pick([0, 1, 4, 8, 16, 64, r.randrange(2000)]))))
            if self.chance(0.2):
                kids.append(u32(US_EGRESS_TUN_PORT, self.port_no()))
            if self.chance(0.2):
                kids.append(flag(US_ACTIONS))
            return N(A_USERSPACE, kids)
        if t in (A_SET, A_SET_MASKED):
            return N(t, [self.set_key_attr(t == A_SET_MASKED)])
        if t == A_PUSH_VLAN:
            return N(t, struct.pack("!HH", self.pick([0x8100, 0x88A8, r.getrandbits(16)]),
                                    self.pick([0x1000 | r.randrange(4096), r.getrandbits(16)])))
        if t in (A_POP_VLAN, A_POP_ETH, A_CT_CLEAR, A_POP_NSH):
            return N(t, b"")
        if t == A_SAMPLE:
            kids = [u32(SAMPLE_PROB, self.pick([0, 0xFFFFFFFF, 0x80000000, r.getrandbits(32)]))]
            if self.chance(0.95):
                kids.append(N(SAMPLE_ACTIONS, self.actions(depth + 1)))
            return N(t, kids)
        if t == A_RECIRC:
            return u32(t, self.pick(self.recirc_ids))
        if t == A_HASH:
            return N(t, struct.pack("=II", self.pick([0, 1, 2, r.getrandbits(32)]), r.getrandbits(32)))
        if t == A_PUSH_MPLS:
            return N(t, struct.pack("!IH", r.getrandbits(32), self.pick([0x8847, 0x8848, r.getrandbits(16)])) + b"\0\0")
        if t == A_POP_MPLS:
            return u16(t, self.pick([0x0800, 0x86DD, 0x8847, r.getrandbits(16)]), be=True)
        if t == A_TRUNC:
            return u32(t, self.pick([0, 13, 14, 60, 100, 1500, r.getrandbits(16)]))
        if t == A_PUSH_ETH:
            return N(t, self.macb() + self.macb())
        if t == A_CLONE:
            return N(t, self.actions(depth + 1))
        if t == A_CHECK_PKT_LEN:
            kids = [u16(CPL_LEN, self.pick([0, 60, 100, 1000, 1500, r.getrandbits(16)]))]
            if self.chance(0.9):
                kids.append(N(CPL_GREATER, self.actions(depth + 1)))
            if self.chance(0.9):
                kids.append(N(CPL_LE, self.actions(depth + 1)))
            return N(t, kids)
        if t == A_ADD_MPLS:
            return N(t, struct.pack("!IH", r.getrandbits(32), self.pick([0x8847, 0x8848])) + struct.pack("=H", r.getrandbits(1)))
        if t == A_DEC_TTL:
            return N(t, [N(DEC_TTL_ACTION, self.actions(depth + 1))] if self.chance(0.9) else [])
        if t == A_CT:
            return N(t, [flag(1), u16(2, r.getrandbits(16))])
        if t == A_PUSH_NSH:
            return N(t, [N(1, self.rbytes(8)), N(2, self.rbytes(16))])
        if t == A_METER:
            return u32(t, r.getrandbits(8))
        return N(self.pick([0, 24, 25, 26, 99, 0x3FFF]), self.rbytes(self.pick([0, 4, 8])))

    def actions(self, depth=0):
        r = self.r
        if depth > 3 and self.chance(0.7):
            return [u32(A_OUTPUT, self.port_no())] if self.chance(0.5) else []
        if self.chance(0.01):  # many outputs: the amplification shape (see --max-amp)
            port = self.pick(self.env.port_nos() or [1])
            return [u32(A_OUTPUT, port) for _ in range(self.pick([64, 500, 1000, 4001]))]
        n = self.pick([0, 1, 1, 2, 2, 3, 4, 6, 10, r.randrange(40)] if not self.strict else [1, 1, 2, 3, 4])
        return [self.action(depth) for _ in range(n)]

    # -- mutations --
    def mutate_tree(self, top):
        """Structural mutations of an attribute tree, in place (a few)."""
        r = self.r
        nodes = list(walk(top))
        for _ in range(self.pick([1, 1, 1, 2, 3, 5])):
            if not nodes:
                top.append(N(r.getrandbits(16), self.rbytes(r.randrange(16))))
                return
            n, parent, depth = self.pick(nodes)
            m = r.randrange(12)
            if m == 0:      # length off by N
                n.delta = self.pick([-4, -2, -1, 1, 2, 3, 4, 8, 100, 60000, -60000])
            elif m == 1:    # truncate / extend the payload
                b = n.body()
                n.v = b[:r.randrange(len(b) + 1)] if b and self.chance(0.7) else b + self.rbytes(self.pick([1, 2, 4, 16]))
            elif m == 2:    # bit flips in the payload
                b = bytearray(n.body())
                for _ in range(self.pick([1, 1, 2, 8])):
                    if b:
                        b[r.randrange(len(b))] ^= 1 << r.randrange(8)
                n.v = bytes(b)
            elif m == 3:    # duplicate
                parent.insert(r.randrange(len(parent) + 1), N(n.t, n.v, n.delta))
            elif m == 4:    # unknown attribute
                parent.insert(r.randrange(len(parent) + 1),
                              N(self.pick([0, r.getrandbits(14), 0x3FFF, n.t + 1, 33, 40]), self.rbytes(self.pick([0, 4, 8, 20]))))
            elif m == 5:    # type confusion
                n.t = self.pick([n.t + 1, n.t - 1, r.randrange(40), r.getrandbits(16)]) & 0xFFFF
            elif m == 6:    # flags in the type field
                n.t ^= self.pick([NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_F_NESTED | NLA_F_NET_BYTEORDER])
            elif m == 7:    # nesting garbage
                n.v = self.rbytes(self.pick([1, 3, 4, 7, 8, 40]))
            elif m == 8:    # drop it
                if n in parent:
                    parent.remove(n)
            elif m == 9:    # extreme size
                n.v = self.pick([b"", self.rbytes(1), b"\xff" * self.pick([255, 4096, 30000])])
            elif m == 10:   # nest a copy inside itself, deep
                inner = N(n.t, n.v if len(n.body()) < 512 else n.body()[:64])
                for _ in range(self.pick([2, 8, 40, 200])):
                    inner = N(n.t, [inner])
                n.v = inner.v
            else:           # zero the payload
                n.v = b"\0" * len(n.body())

    def mutate_bytes(self, data):
        r = self.r
        b = bytearray(data)
        m = r.randrange(5)
        if m == 0:
            for _ in range(self.pick([1, 2, 4, 16])):
                b[r.randrange(len(b))] ^= 1 << r.randrange(8)
        elif m == 1:
            b = b[:self.pick([16, 20, 24, r.randrange(len(b) + 1)])]
        elif m == 2:
            b += self.rbytes(self.pick([1, 3, 4, 20]))
        elif m == 3:  # nlmsg_len off by N
            struct.pack_into("=I", b, 0, max(0, min(0xFFFFFFFF, len(b) + self.pick([-1, -4, 1, 4, 100, -len(b) + 4]))))
        else:         # attribute length bytes
            if len(b) > 24:
                off = 24 + r.randrange(len(b) - 24)
                b[off] = r.getrandbits(8)
        return bytes(b)

    # -- requests: (family, cmd, flags, dp_ifindex, attrs N list) --
    def dp_ifindex(self):
        e = self.env
        if self.strict:
            return e.dp_ifindex
        return self.pick([e.dp_ifindex] * 12 + [0, e.ifindex("h1"), e.ifindex("lo"), e.extra_dp_ifindex(),
                                                 self.r.getrandbits(31), -1])

    def dp_name(self, for_del=False):
        if for_del and not self.chance(self.args.p_del_main):
            return self.pick(["fzd1", "fzd2", "fzd3", "nosuch", self.rname()])
        return self.pick(["fz0"] * 4 + ["fzd1", "fzd2", "fzd3", "h1", "lo", "", self.rname(), "x" * 16])

    def rname(self):
        return "".join(self.r.choice("abcdefghz0123456789-._") for _ in range(self.r.randrange(1, 16)))

    def req_datapath(self):
        r = self.r
        cmd = self.pick([DP_NEW, DP_DEL, DP_GET, DP_GET, DP_SET])
        a, flags, ifx = [], NLM_F_REQUEST | NLM_F_ACK, 0
        if cmd == DP_GET and self.chance(0.3):
            return "ovs_datapath", cmd, flags | NLM_F_DUMP, 0, a
        if self.chance(0.75):
            a.append(N(DPA_NAME, (self.dp_name(cmd == DP_DEL) + "\0").encode(errors="surrogateescape")))
        else:
            ifx = self.dp_ifindex() if cmd != DP_DEL or self.chance(self.args.p_del_main) else self.env.extra_dp_ifindex()
        if cmd in (DP_NEW, DP_SET):
            if cmd == DP_NEW or self.chance(0.5):
                a.append(u32(DPA_UPCALL_PID, self.upcall_pid()))
            if self.chance(0.7):
                a.append(u32(DPA_USER_FEATURES, self.pick([1, 3, 3, 1 | 2 | 8, 8, 0, r.getrandbits(32)])))
            if self.chance(0.3):
                a.append(u32(DPA_MASKS_CACHE_SIZE, self.pick([0, 1, 3, 256, 512, 1 << 14, 1 << 20, r.getrandbits(32)])))
            if self.chance(0.3):
                n = self.pick([0, 1, 2, 64, 1000])
                a.append(N(DPA_PER_CPU_PIDS, struct.pack("=%dI" % n, *[self.upcall_pid() for _ in range(n)])
                           + self.rbytes(self.pick([0, 0, 1, 3]))))
            if self.chance(0.1):
                a.append(u32(DPA_IFINDEX, self.pick([0, self.env.dp_ifindex, r.getrandbits(31)])))
        if self.chance(0.05):
            a.append(N(self.pick([DPA_STATS, DPA_MEGAFLOW_STATS]), self.rbytes(32)))
        if cmd == DP_NEW and self.chance(0.5):
            flags |= self.pick([NLM_F_ECHO, NLM_F_CREATE | NLM_F_EXCL, 0])
        return "ovs_datapath", cmd, flags, ifx, a

    def req_vport(self):
        r = self.r
        e = self.env
        cmd = self.pick([VP_NEW, VP_NEW, VP_DEL, VP_GET, VP_GET, VP_SET])
        flags = NLM_F_REQUEST | NLM_F_ACK
        ifx = self.dp_ifindex()
        a = []
        if cmd == VP_GET and self.chance(0.3):
            return "ovs_vport", cmd, flags | NLM_F_DUMP, ifx, a
        if cmd == VP_NEW:
            vt = self.pick([VPT_INTERNAL, VPT_INTERNAL, VPT_NETDEV, VPT_NETDEV, 3, 4, 5, 0, 6, r.getrandbits(32)])
            if vt == VPT_NETDEV:
                name = self.pick(["fzv0", "fzv1", "fzv0", "h1", "lo", "fz0", "nosuchdev", self.rname()])
            else:
                self.fresh += 1
                name = self.pick(["fzp%d" % (self.fresh % 40), "fzp%d" % (self.fresh % 40), "fzi", "fz0", "h2",
                                  self.rname(), "x" * 16, ""])
            a += [N(VPA_NAME, (name + "\0").encode(errors="surrogateescape")), u32(VPA_TYPE, vt)]
            if self.chance(0.9):
                n = self.pick([1, 1, 1, 2, 0, NCPUS, NCPUS + 1, 64])  # more than CPUs: EINVAL
                a.append(N(VPA_UPCALL_PID, struct.pack("=%dI" % n, *[self.upcall_pid() for _ in range(n)])))
            if self.chance(0.3):
                a.append(u32(VPA_PORT_NO, self.pick([4, 5, 100, 1000, 65534, 65535, 1, 0, r.getrandbits(32)])))
            if self.chance(0.15):
                a.append(N(VPA_OPTIONS, [u16(1, self.pick([4789, 6081, 0])), N(r.randrange(8), self.rbytes(4))]))
            if self.chance(0.05):
                a.append(u32(VPA_NETNSID, self.pick([0, 1, 0xFFFFFFFF])))
        else:
            how = r.randrange(3 if not self.strict else 2)
            if how == 0:
                port = self.port_no()
                if cmd == VP_DEL and port in (0, 1, 2, 3) and not self.chance(self.args.p_del_main):
                    port = self.pick(e.port_nos()[4:] or [77])
                a.append(u32(VPA_PORT_NO, port))
            elif how == 1:
                names = e.port_names()
                name = self.pick(names + ["nosuch", self.rname()]) if names else "nosuch"
                if cmd == VP_DEL and name in ("fz0", "h1", "h2", "fzi") and not self.chance(self.args.p_del_main):
                    name = self.pick(names[4:] or ["nosuch"])
                a.append(N(VPA_NAME, (name + "\0").encode(errors="surrogateescape")))
            if self.chance(0.05):
                a.append(u32(VPA_IFINDEX, self.pick([0, e.ifindex("h1"), r.getrandbits(31)])))
            if cmd == VP_SET:
                if self.chance(0.7):
                    n = self.pick([1, 1, 2, 0, NCPUS, NCPUS + 1, 200])
                    a.append(N(VPA_UPCALL_PID, struct.pack("=%dI" % n, *[self.upcall_pid() for _ in range(n)])
                               + self.rbytes(self.pick([0, 0, 2]))))
                if self.chance(0.2):
                    a.append(u32(VPA_TYPE, self.pick([1, 2, 3, 0])))
                if self.chance(0.1):
                    a.append(N(VPA_OPTIONS, [u16(1, 4789)]))
        if self.chance(0.05):
            a.append(N(VPA_STATS, self.rbytes(self.pick([64, 8]))))
        if cmd == VP_NEW and self.chance(0.3):
            flags |= NLM_F_ECHO
        return "ovs_vport", cmd, flags, ifx, a

    def ufid(self):
        return self.rbytes(self.pick([16, 16, 16, 1, 8, 17, 0, 20]))

    def req_flow(self):
        r = self.r
        cmd = self.pick([FL_NEW, FL_NEW, FL_NEW, FL_SET, FL_DEL, FL_GET, FL_GET])
        flags = NLM_F_REQUEST | NLM_F_ACK
        ifx = self.dp_ifindex()
        a = []
        old = self.pick(self.flows) if self.flows and self.chance(0.6) else None
        if cmd == FL_GET and self.chance(0.25):
            if self.chance(0.4):
                a.append(u32(FA_UFID_FLAGS, r.getrandbits(3)))
            if self.chance(0.2):
                a.append(flag(FA_NUMA_STATS))
            return "ovs_flow", cmd, flags | NLM_F_DUMP, ifx, a
        if cmd == FL_DEL and self.chance(self.args.p_flush):
            return "ovs_flow", cmd, flags, ifx, a  # no key: delete all
        if old and cmd != FL_NEW or (old and self.chance(0.3)):
            key, mask, uf = old
            if uf and self.chance(0.6):
                a.append(N(FA_UFID, uf))
                if self.chance(0.3):
                    a.append(N(FA_KEY, key))
            else:
                a.append(N(FA_KEY, key))
                if mask is not None and self.chance(0.5):
                    a.append(N(FA_MASK, mask))
        else:
            key = self.key_tree()
            a.append(N(FA_KEY, key))
            mask = None
            if self.chance(0.7):
                mask = self.mask_of(key)
                a.append(N(FA_MASK, mask))
            uf = self.ufid() if self.chance(0.6) else None
            if uf is not None:
                a.append(N(FA_UFID, uf))
            if cmd == FL_NEW:  # serialized now: later mutations change trees in place
                self.flows.append((ser(key), ser(mask) if mask is not None else None, uf))
                if len(self.flows) > 200:
                    del self.flows[r.randrange(len(self.flows))]
        if cmd in (FL_NEW, FL_SET) and self.chance(0.95):
            a.append(N(FA_ACTIONS, self.actions()))
        if cmd == FL_SET and self.chance(0.3):
            a.append(flag(FA_CLEAR))
        if self.chance(0.1):
            a.append(flag(FA_PROBE))
        if self.chance(0.2):
            a.append(u32(FA_UFID_FLAGS, r.getrandbits(3)))
        if cmd == FL_GET and self.chance(0.2):
            a.append(flag(FA_NUMA_STATS))
        if cmd == FL_NEW:
            flags |= self.pick([0, NLM_F_CREATE, NLM_F_CREATE | NLM_F_EXCL, NLM_F_ECHO])
        if self.chance(0.03):
            a.append(N(self.pick([FA_STATS, FA_TCP_FLAGS, FA_USED]), self.rbytes(self.pick([1, 8, 16]))))
        return "ovs_flow", cmd, flags, ifx, a

    def req_amplification(self):
        """An amplification request: a large IPv4 frame, a small MRU and
        thousands of outputs (valid, so it reaches the action engine)."""
        r = self.r
        paylen = self.pick([9000, 30000, 65000 - 60])
        f = frame(dict(esrc=MAC1, edst=MAC2, src=IP1, dst=IP2, proto=17, sport=1, dport=2,
                       payload=b"NLFZ-AMP" + b"\x5a" * (paylen - 8)))
        outs = self.pick([64, 500, 1000, 4001])
        port = self.pick([p for p in self.env.port_nos() if p in (1, 2, 3)] or [1])
        a = [N(PA_PACKET, f), N(PA_KEY, [u32(K_IN_PORT, 1)]),
             N(PA_ACTIONS, [u32(A_OUTPUT, port) for _ in range(outs)]),
             u16(PA_MRU, self.pick([68, 100, 576, 1280, r.randrange(68, 1500)]))]
        return "ovs_packet", PK_EXECUTE, NLM_F_REQUEST | NLM_F_ACK, self.env.dp_ifindex, a

    def req_packet(self):
        r = self.r
        if self.chance(self.args.p_amp):
            self.strict = True
            return self.req_amplification()
        ifx = self.dp_ifindex()
        pkt = self.frame(big=True)
        a = [N(PA_PACKET, pkt)] if self.strict or self.chance(0.97) else []
        key = []
        if self.chance(0.9):
            key.append(u32(K_IN_PORT, self.port_no()))
        for t, gen, p in ((K_PRIORITY, lambda: u32(K_PRIORITY, r.getrandbits(32)), 0.2),
                          (K_SKB_MARK, lambda: u32(K_SKB_MARK, r.getrandbits(32)), 0.2),
                          (K_RECIRC_ID, lambda: u32(K_RECIRC_ID, self.pick(self.recirc_ids)), 0.2),
                          (K_DP_HASH, lambda: u32(K_DP_HASH, r.getrandbits(32)), 0.1),
                          (K_TUNNEL, lambda: N(K_TUNNEL, self.tunnel_key()), 0.15)):
            if self.chance(p):
                key.append(gen())
        if self.chance(0.2) and not self.strict:  # a full key, as ovs-vswitchd sends
            key += [n for n in self.key_tree() if n.t not in (K_IN_PORT,)]
        if self.strict or self.chance(0.95):
            a.append(N(PA_KEY, key))
        if self.strict or self.chance(0.95):
            a.append(N(PA_ACTIONS, self.actions()))
        if self.chance(0.35):
            a.append(u16(PA_MRU, self.pick([0, 1, 68, 100, 576, 1280, 1400, 1500, 9000, 65535, r.getrandbits(16)])))
        if self.chance(0.15):
            a.append(u64(PA_HASH, self.pick([0, 1 << 32, (1 << 33) | 5, r.getrandbits(64)])))
        if self.chance(0.1):
            a.append(flag(PA_PROBE))
        if self.chance(0.03):
            a.append(N(self.pick([PA_USERDATA, PA_EGRESS_TUN_KEY, PA_LEN, 6, 7]), self.rbytes(self.pick([0, 4, 8]))))
        return "ovs_packet", PK_EXECUTE, NLM_F_REQUEST | NLM_F_ACK, ifx, a

    def req_meter(self):
        r = self.r
        cmd = self.pick([1, 2, 2, 3, 4, 4])
        a = []
        if self.chance(0.9):
            a.append(u32(1, self.pick([0, 1, 2, 100, r.getrandbits(32)])))
        if self.chance(0.3):
            a.append(flag(2))
        if cmd == 2 and self.chance(0.9):
            bands = [N(1, [u32(1, self.pick([1, 2, 0])), u32(2, r.getrandbits(20)), u32(3, r.getrandbits(20))])
                     for _ in range(self.pick([0, 1, 1, 2, 5]))]
            a.append(N(4, bands))
        if self.chance(0.1):
            a.append(flag(6))
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if cmd == 4 and self.chance(0.2) else 0)
        return "ovs_meter", cmd, flags, self.dp_ifindex(), a

    def req_ct_limit(self):
        r = self.r
        cmd = self.pick([1, 2, 3])
        zl = b"".join(struct.pack("=iII", self.pick([-1, 0, 1, r.getrandbits(16)]), r.getrandbits(16), 0)
                      for _ in range(self.pick([0, 1, 2, 10])))
        a = [N(1, zl)] if self.chance(0.9) else []
        return "ovs_ct_limit", cmd, NLM_F_REQUEST | NLM_F_ACK, self.dp_ifindex(), a

    def request(self):
        """One datagram: (bytes, [family names of its messages], seqs, description)."""
        r = self.r
        fams = [f for f in ("ovs_datapath", "ovs_vport", "ovs_flow", "ovs_packet", "ovs_meter", "ovs_ct_limit")
                if f in self.env.fam_ids]
        weights = {"ovs_datapath": 8, "ovs_vport": 12, "ovs_flow": 45, "ovs_packet": 30, "ovs_meter": 4,
                   "ovs_ct_limit": 2}
        msgs = []
        for _ in range(1 if self.chance(0.95) else self.pick([2, 3])):
            fam = r.choices(fams, [weights[f] for f in fams])[0]
            self.strict = self.chance(self.args.p_strict)
            fam, cmd, flags, ifx, attrs = getattr(self, "req_" + fam[4:])()
            version = 2 if fam == "ovs_datapath" else 1
            mutated = not self.strict and self.chance(self.args.p_mutate)
            if mutated:
                self.mutate_tree(attrs)
            if mutated and self.chance(0.1):
                cmd = self.pick([0, 5, 6, r.getrandbits(8)])
            if mutated and self.chance(0.1):
                version = r.getrandbits(8)
            if mutated and self.chance(0.1):
                flags ^= self.pick([NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_APPEND, NLM_F_MULTI])
            body = struct.pack("=BBHi", cmd, version, 0, ifx) + ser(attrs)
            if mutated and self.chance(0.03):
                body = body[:self.pick([0, 2, 4, 6])]
            msgs.append([fam, flags, body, mutated, self.strict])
        self.env.seq += 1
        out, seqs = [], []
        for fam, flags, body, _, strict in msgs:
            self.env.seq += 1
            seqs.append((self.env.seq, flags, strict))
            out.append(struct.pack("=IHHII", 16 + len(body), self.env.fam_ids[fam], flags, self.env.seq, 0)
                       + body + b"\0" * (-len(body) % 4))
        data = b"".join(out)
        raw = not self.strict and self.chance(self.args.p_mutate_bytes)
        if raw:
            data = self.mutate_bytes(data)
        return data, [m[0] for m in msgs], seqs, raw, raw or any(m[3] for m in msgs) or len(msgs) > 1


def extack_msg(flags, body):
    """The extack message of an NLMSG_ERROR body, or ''."""
    if not flags & 0x200:  # NLM_F_ACK_TLVS
        return ""
    olen = 16 if flags & 0x100 else struct.unpack_from("=I", body, 4)[0]  # NLM_F_CAPPED
    tl = parse_attrs(body[4 + ((olen + 3) & ~3):])
    return tl.get(1, b"").split(b"\0")[0].decode(errors="replace")


# ---- Amplification estimate ---------------------------------------------------------------
def _count_outputs(data, depth=0):
    """Outputs and userspace actions in an action list, with those of the
    lists nested in clone, sample, check_pkt_len and dec_ttl (parsed the way
    the module parses them, so mutated ones count as the module sees them)."""
    n = 0
    for t, body in _attrs(data):
        if t in (A_OUTPUT, A_USERSPACE):
            n += 1
        elif depth < 64 and t == A_CLONE:
            n += _count_outputs(body, depth + 1)
        elif depth < 64 and t in (A_SAMPLE, A_CHECK_PKT_LEN, A_DEC_TTL):
            lists = {A_SAMPLE: (SAMPLE_ACTIONS,), A_CHECK_PKT_LEN: (CPL_GREATER, CPL_LE),
                     A_DEC_TTL: (DEC_TTL_ACTION,)}[t]
            n += sum(_count_outputs(sub, depth + 1) for st, sub in _attrs(body) if st in lists)
    return n


def _attrs(data):
    off = 0
    while off + 4 <= len(data):
        length, t = struct.unpack_from("=HH", data, off)
        if length < 4 or off + length > len(data):
            return
        yield t & 0x3FFF, data[off + 4:off + length]
        off += (length + 3) & ~3


def amplification(data, fam_of):
    """Estimated work of one datagram: packets out (outputs and userspace
    actions; of an EXECUTE, times its MRU fragments or its 1,500-byte units)."""
    total = 0
    off = 0
    while off + 24 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        msg = data[off + 24:off + min(length, len(data) - off)]
        attrs = {}
        o = 0
        while o + 4 <= len(msg):
            al, at = struct.unpack_from("=HH", msg, o)
            if al < 4:
                break
            attrs.setdefault(at & 0x3FFF, []).append(msg[o + 4:o + al])
            o += (al + 3) & ~3
        fam = fam_of.get(mtype)
        acts = attrs.get(PA_ACTIONS if fam == "ovs_packet" else FA_ACTIONS, [])
        outs = sum(_count_outputs(x) for x in acts) if fam in ("ovs_packet", "ovs_flow") else 0
        units = 1  # per output: MRU fragments, or 1,500-byte units of a big frame
        if fam == "ovs_packet":
            plen = max([len(x) for x in attrs.get(PA_PACKET, [b""])])
            units = plen // 1500 + 1
            for m in attrs.get(PA_MRU, []):
                if len(m) >= 2:
                    mru = struct.unpack_from("=H", m)[0]
                    units = max(units, plen // max(mru - 20, 8) + 1)
        total += outs * units
        off += (length + 3) & ~3
    return total


# ---- The environment -------------------------------------------------------------------------
def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True)


class Env:
    def __init__(self):
        self.nl = Genl()            # control requests and sanity checks
        self.listener = Genl()      # upcall listener (datapath/vport upcall PID)
        self.listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.listener_pid = self.listener.portid
        self.fam_ids = {}
        for f in FAMILIES:
            try:
                self.fam_ids[f] = self.nl.family(f)[0]
            except NlError:
                pass
        self.fam_of = {v: k for k, v in self.fam_ids.items()}
        self.seq = 1000
        self.dp_ifindex = 0
        self._ports = {}            # fz0 ports: name -> number (refreshed at sanity)
        self.extra_dps = {}
        self._ifindex = {}

    def ifindex(self, name):
        if name not in self._ifindex:
            try:
                self._ifindex[name] = int(open("/sys/class/net/%s/ifindex" % name).read())
            except OSError:
                return 0
        return self._ifindex[name]

    def port_nos(self):
        return sorted(self._ports.values())

    def port_names(self):
        return sorted(self._ports, key=lambda n: self._ports[n])

    def extra_dp_ifindex(self):
        return self.extra_dps[sorted(self.extra_dps)[0]] if self.extra_dps else 0

    def netns_setup(self):
        batch = []
        for i in (1, 2):
            batch += ["netns add fzns%d" % i, "link add h%d type veth peer name n%d netns fzns%d" % (i, i, i),
                      "link set h%d up" % i]
        batch += ["link add fzv0 type veth peer name fzv1", "link set fzv0 up", "link set fzv1 up"]
        open("/tmp/nlfuzz-ip.batch", "w").write("\n".join(batch) + "\n")
        r = sh("ip -batch /tmp/nlfuzz-ip.batch")
        if r.returncode:
            raise RuntimeError("ip -batch: " + r.stderr)
        for i, m in ((1, MAC1), (2, MAC2)):
            setns("/run/netns/fzns%d" % i)
            try:
                for f in ("all", "default"):
                    with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % f, "w") as fh:
                        fh.write("1")
            finally:
                setns(ROOT_NS)
            sh("ip -n fzns%d link set n%d address %s up" % (i, i, m))
        for n in ("h1", "h2", "fzv0", "fzv1"):
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % n, "w") as fh:
                fh.write("1")

    def netns_teardown(self):
        sh("ip link del fzv0; ip link del h1; ip link del h2; ip netns del fzns1; ip netns del fzns2")

    # -- fz0 --
    def ensure_dp(self):
        """fz0 exists with the listener as upcall PID and ports h1=1, h2=2,
        fzi=3; returns the number of repairs made."""
        repairs = 0
        nl = self.nl
        try:
            m = nl.request("ovs_datapath", DP_SET, nla_str(DPA_NAME, "fz0") + nla_u32(DPA_UPCALL_PID, self.listener_pid)
                           + nla_u32(DPA_USER_FEATURES, 3) + nla_u32(DPA_MASKS_CACHE_SIZE, 256))[0]
        except NlError:
            repairs += 1
            m = nl.request("ovs_datapath", DP_NEW, nla_str(DPA_NAME, "fz0") + nla_u32(DPA_UPCALL_PID, self.listener_pid)
                           + nla_u32(DPA_USER_FEATURES, 3))[0]
        self.dp_ifindex = m.dp_ifindex
        self._ifindex.pop("fz0", None)
        want = (("h1", 1, VPT_NETDEV), ("h2", 2, VPT_NETDEV), ("fzi", 3, VPT_INTERNAL))
        ports = self.dump_ports()
        for name, no, vt in want:
            if ports.get(name) == no:
                continue
            repairs += 1
            for n, p in list(ports.items()):
                if n == name or p == no:
                    try:
                        nl.request("ovs_vport", VP_DEL, nla_u32(VPA_PORT_NO, p), dp_ifindex=self.dp_ifindex)
                    except NlError:
                        pass
            # a port of that name may live in another datapath
            for dpname, m in self.dump_dps().items():
                if dpname == "fz0":
                    continue
                try:
                    nl.request("ovs_vport", VP_DEL, nla_str(VPA_NAME, name), dp_ifindex=m.dp_ifindex)
                except NlError:
                    pass
            try:
                nl.request("ovs_vport", VP_NEW, nla_str(VPA_NAME, name) + nla_u32(VPA_TYPE, vt)
                           + nla_u32(VPA_PORT_NO, no) + nla(VPA_UPCALL_PID, struct.pack("=I", self.listener_pid)),
                           dp_ifindex=self.dp_ifindex)
            except NlError as e:
                # What holds the number or the name? (a port the dump missed,
                # one detached and not yet reaped, ...)
                try:
                    g = nl.request("ovs_vport", VP_GET, nla_u32(VPA_PORT_NO, no), dp_ifindex=self.dp_ifindex)[0]
                    held = "GET %d: %s" % (no, sname(g, VPA_NAME))
                except NlError as e2:
                    held = "GET %d: %s" % (no, e2)
                raise NlError(e.errno, "%s; re-adding %s as %d after a dump of %s; %s" % (
                    e.extack, name, no, sorted(ports.items(), key=lambda kv: kv[1])[:20], held)) from None
            if name == "fzi":
                sh("ip link set fzi up")
            ports = self.dump_ports()
        for name, no in ports.items():
            nl.request("ovs_vport", VP_SET, nla_u32(VPA_PORT_NO, no)
                       + nla(VPA_UPCALL_PID, struct.pack("=I", self.listener_pid)), dp_ifindex=self.dp_ifindex)
        self._ports = ports
        return repairs

    def dump_ports(self, ifx=None):
        out = {}
        for m in self.nl.request("ovs_vport", VP_GET, b"", dp_ifindex=ifx or self.dp_ifindex, dump=True, echo=False):
            out[sname(m, VPA_NAME)] = m.u32(VPA_PORT_NO)
        return out

    def dump_dps(self):
        return {sname(m, DPA_NAME): m for m in self.nl.request("ovs_datapath", DP_GET, b"", dump=True, echo=False)}

    def delete_all_dps(self):
        for m in self.dump_dps().values():
            try:
                self.nl.request("ovs_datapath", DP_DEL, b"", dp_ifindex=m.dp_ifindex)
            except NlError:
                pass

    def clear_ct_limits(self):
        """Every zone limit and the default deleted (OVS_CT_LIMIT_CMD_DEL =
        2): limits belong to the network namespace, not to a datapath, and
        outlive them; with none left the module holds no table."""
        if "ovs_ct_limit" not in self.fam_ids:
            return
        zones = list(range(65536)) + [-1]
        for i in range(0, len(zones), 4096):
            arr = b"".join(struct.pack("=iII", z, 0, 0) for z in zones[i:i + 4096])
            try:
                self.nl.request("ovs_ct_limit", 2, nla(1, arr))
            except NlError as e:
                print("FAIL: deleting zone limits %d..: %s" % (zones[i], e), flush=True)


def sname(m, atype):
    """A name attribute of a reply: any bytes but NUL and '/' make a valid
    netdev name, and mutated requests do create such names."""
    return m.attrs.get(atype, b"").split(b"\0")[0].decode(errors="surrogateescape")


def netlink_sock_state(portid):
    """Rmem and Drops of a netlink socket, from /proc/net/netlink."""
    try:
        for line in open("/proc/net/netlink").read().splitlines()[1:]:
            f = line.split()
            if len(f) >= 9 and f[1] == "16" and f[2] == str(portid):
                return "rmem %s, drops %s" % (f[4], f[8])
    except OSError:
        pass
    return "not found"


def live_allocs():
    try:
        return int(open("/sys/module/openvswitch/parameters/live_allocs").read())
    except OSError:
        return None


# ---- Background: traffic and upcalls ----------------------------------------------------------
class Background:
    def __init__(self, env, gen_seed, stop):
        self.env = env
        self.stop = stop
        self.sent = 0
        self.upcalls = {}
        self.bad_upcalls = []
        self.overruns = 0
        self.rng = random.Random(gen_seed)
        self.tx = {i: packet_socket("fzns%d" % i, "n%d" % i) for i in (1, 2)}
        self.threads = [threading.Thread(target=self.traffic, daemon=True),
                        threading.Thread(target=self.upcall_reader, daemon=True)]
        self.paused = threading.Event()

    def start(self):
        for t in self.threads:
            t.start()

    def traffic(self):
        g = Gen(self.rng, self.env, argparse.Namespace())
        while not self.stop.is_set():
            if not self.paused.is_set():
                for _ in range(4):
                    try:
                        self.tx[self.rng.choice((1, 2))].send(g.frame(big=False)[:9000])
                        self.sent += 1
                    except OSError:
                        pass
            time.sleep(0.05)

    def upcall_reader(self):
        s = self.env.listener.sock
        pk = self.env.fam_ids["ovs_packet"]
        while not self.stop.is_set():
            if not select.select([s], [], [], 0.2)[0]:
                continue
            try:
                data = s.recv(1 << 20)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.overruns += 1
                    continue
                raise
            off = 0
            while off + 16 <= len(data):
                length, mtype = struct.unpack_from("=IH", data, off)
                if length < 16 or off + length > len(data):
                    self.bad_upcalls.append("bad nlmsg_len %d: %s" % (length, data[off:off + 64].hex()))
                    break
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if mtype != pk or len(body) < 8:
                    continue
                cmd = body[0]
                self.upcalls[cmd] = self.upcalls.get(cmd, 0) + 1
                why = attrs_ok(body[8:], UPCALL_SPEC)
                at = parse_attrs(body[8:])
                if not why and cmd in (PK_MISS, PK_ACTION) and (PA_PACKET not in at or PA_KEY not in at):
                    why = "upcall without packet or key"
                if why and len(self.bad_upcalls) < 20:
                    self.bad_upcalls.append("%s: %s" % (why, body[:256].hex()))


# ---- Sending and replies -----------------------------------------------------------------------
class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.env = Env()
        self.sock = Genl()  # the fuzz socket
        self.sock.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sent = {}
        self.errs = {}
        self.ok = {}
        self.strict_refused = {}
        self.unusual = []
        self.malformed = []
        self.lost_replies = []
        self.capped = 0
        self.mutated = 0
        self.n = 0
        self.sanity_ok = 0
        self.sanity_fail = []
        self.repairs = 0
        self.jfd = None
        self.t_kernel = 0.0
        self.t_gen = 0.0
        self.t_journal = 0.0
        self.t_sanity = 0.0
        self.slowest = []
        self.jn = 0
        self.jfile = 0

    # -- journal: the last --keep datagrams, written before each is sent --
    def journal(self, data, fams):
        """Two files take turns, --keep records each: after a crash, the one
        being written and the previous one hold the last datagrams.  Record:
        JOURNAL_HDR (magic, index, fz0's ifindex, length, family count),
        one byte per message (its family's index in FAMILIES), the datagram."""
        if not self.args.keep:
            return
        if self.jfd is None or self.jn >= self.args.keep:
            if self.jfd is not None:
                os.close(self.jfd)
            self.jfile ^= 1
            self.jfd = os.open("%s/journal-%d.bin" % (OUT, self.jfile), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            self.jn = 0
        os.write(self.jfd, struct.pack(JOURNAL_HDR, b"NLFZ", self.n, self.env.dp_ifindex, len(data), len(fams))
                 + bytes(FAMILIES.index(f) for f in fams) + data)
        self.jn += 1

    def barrier(self):
        """Send a ctrl request with ACK; returns its seq."""
        self.env.seq += 1
        payload = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + nla_str(CTRL_ATTR_FAMILY_NAME, "ovs_flow")
        self.sock.sock.send(struct.pack("=IHHII", 16 + len(payload), GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
                                        self.env.seq, 0) + payload)
        return self.env.seq

    def wait_ack(self, seq, timeout):
        """Read the fuzz socket until the ack of `seq` (True) or `timeout`."""
        deadline = time.time() + timeout
        while select.select([self.sock.sock], [], [], max(0.0, deadline - time.time()))[0]:
            try:
                buf = self.sock.sock.recv(1 << 20)
            except OSError:
                continue
            off = 0
            while off + 16 <= len(buf):
                length, mtype, _, mseq, _ = struct.unpack_from("=IHHII", buf, off)
                if length < 16:
                    break
                if mtype == NLMSG_ERROR and mseq == seq:
                    return True
                off += (length + 3) & ~3
        return False

    def send(self, data, fams, seqs, raw):
        """Send one datagram and read every reply it causes."""
        try:
            self.sock.sock.send(data)
        except OSError as e:
            self.errs["send:" + ERRNAME.get(e.errno, str(e.errno))] = self.errs.get("send:" + ERRNAME.get(e.errno, ""), 0) + 1
            return
        # Wait for the last message's ack (or dump end) when it asked for one and
        # the bytes are as generated; else for a barrier's ack.
        fam_of_seq = {sq: f for (sq, _, _), f in zip(seqs, fams)}
        strict = {sq for sq, _, st in seqs if st}
        pending = {s for s, f, _ in seqs if f & (NLM_F_ACK | NLM_F_DUMP)} if not raw else set()
        if raw or len(pending) != len(seqs):
            pending = {self.barrier()}
            self.barrier_seq = next(iter(pending))
        else:
            self.barrier_seq = None
        deadline = time.time() + 30
        while pending:
            if not select.select([self.sock.sock], [], [], max(0.0, deadline - time.time()))[0]:
                # Netlink requests are handled inside send(): their replies are
                # queued before it returns. Is the module still answering? A
                # GET on another socket blocks (and vm-run times out) if not.
                try:
                    alive = bool(self.env.nl.request("ovs_datapath", DP_GET, b"", dump=True, echo=False) is not None)
                except NlError:
                    alive = True  # it answered, with an error
                what = "no reply within 30 s to datagram %d (%s; fuzz socket %s" % (
                    self.n, data[:200].hex(), netlink_sock_state(self.sock.portid))
                # Is the socket itself still answered? (a second barrier)
                again = self.barrier()
                what += "; a second barrier %s)" % ("acked" if self.wait_ack(again, 5) else "not acked either")
                if alive:
                    self.lost_replies.append(what + "; the module answers another socket")
                else:
                    self.malformed.append(what)
                return
            try:
                buf = self.sock.sock.recv(1 << 20)
            except OSError as e:
                k = "recv:" + ERRNAME.get(e.errno, str(e.errno))
                self.errs[k] = self.errs.get(k, 0) + 1
                if e.errno == errno.ENOBUFS:
                    pending = {self.barrier()}
                    self.barrier_seq = next(iter(pending))
                continue
            off = 0
            while off + 16 <= len(buf):
                length, mtype, flags, seq, _ = struct.unpack_from("=IHHII", buf, off)
                if length < 16 or off + length > len(buf):
                    self.malformed.append("reply with nlmsg_len %d in a %d-byte read" % (length, len(buf)))
                    break
                body = buf[off + 16:off + length]
                off += (length + 3) & ~3
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body, 0)[0]
                    if seq != self.barrier_seq:
                        k = ERRNAME.get(err, str(err))
                        self.errs[k] = self.errs.get(k, 0) + 1
                        if err == 0 and seq in fam_of_seq:
                            self.ok[fam_of_seq[seq]] = self.ok.get(fam_of_seq[seq], 0) + 1
                        if err and k not in COMMON_ERRNOS and len(self.unusual) < 20:
                            self.unusual.append("#%d %s %s (%s): %s" % (self.n, fam_of_seq.get(seq, "?"), k,
                                                                       extack_msg(flags, body), data[:200].hex()))
                        if err and seq in strict:  # refused though built to be valid: why?
                            k = "%s %s: %s" % (fam_of_seq[seq], k, extack_msg(flags, body))
                            self.strict_refused[k] = self.strict_refused.get(k, 0) + 1
                    pending.discard(seq)
                elif mtype == NLMSG_DONE:
                    err = -struct.unpack_from("=i", body, 0)[0] if len(body) >= 4 else 0
                    if seq != self.barrier_seq and err:  # a dump that failed part-way
                        k = "dump:" + ERRNAME.get(err, str(err))
                        self.errs[k] = self.errs.get(k, 0) + 1
                    elif seq != self.barrier_seq:
                        self.errs["ok"] = self.errs.get("ok", 0) + 1
                        if seq in fam_of_seq:
                            self.ok[fam_of_seq[seq]] = self.ok.get(fam_of_seq[seq], 0) + 1
                    pending.discard(seq)
                elif mtype in self.env.fam_of:
                    why = attrs_ok(body[8:], FLOW_SPEC if self.env.fam_of[mtype] == "ovs_flow" else None)
                    if why and len(self.malformed) < 50:
                        self.malformed.append("%s reply: %s: %s" % (self.env.fam_of[mtype], why, body[:128].hex()))

    # -- sanity --
    def sanity(self, bg):
        t0 = time.time()
        try:
            return self._sanity(bg)
        finally:
            self.t_sanity += time.time() - t0

    def _sanity(self, bg):
        env, nl = self.env, self.env.nl
        why = []
        bg.paused.set()
        try:
            self.repairs += env.ensure_dp()
            dps = env.dump_dps()
            if "fz0" not in dps:
                why.append("fz0 missing from the datapath dump")
            for name, m in dps.items():
                if not os.path.exists("/sys/class/net/%s" % name):
                    why.append("datapath %s has no netdev" % name)
            g = nl.request("ovs_datapath", DP_GET, nla_str(DPA_NAME, "fz0"))[0]
            n_flows = struct.unpack_from("=4Q", g.attrs[DPA_STATS])[3]  # hit, missed, lost, flows
            flows = nl.request("ovs_flow", FL_GET, b"", dp_ifindex=env.dp_ifindex, dump=True, echo=False)
            if n_flows != len(flows):
                why.append("fz0 reports %d flows, dump has %d" % (n_flows, len(flows)))
            ports = nl.request("ovs_vport", VP_GET, b"", dp_ifindex=env.dp_ifindex, dump=True, echo=False)
            nos = [p.u32(VPA_PORT_NO) for p in ports]
            if len(set(nos)) != len(nos):
                why.append("duplicate port numbers %s" % nos)
            for p in ports:
                name = sname(p, VPA_NAME)
                if not os.path.exists("/sys/class/net/%s" % name):
                    why.append("port %d (%s) has no netdev" % (p.u32(VPA_PORT_NO), name))
            # Bound the state: other datapaths and extra ports go; flows flushed.
            for name, m in dps.items():
                if name != "fz0":
                    try:
                        nl.request("ovs_datapath", DP_DEL, b"", dp_ifindex=m.dp_ifindex)
                    except NlError as e:
                        why.append("deleting datapath %s: %s" % (name, e))
            env.extra_dps = {}
            if len(ports) > 24:
                for p in ports:
                    if p.u32(VPA_PORT_NO) > 3:
                        try:
                            nl.request("ovs_vport", VP_DEL, nla_u32(VPA_PORT_NO, p.u32(VPA_PORT_NO)),
                                       dp_ifindex=env.dp_ifindex)
                        except NlError as e:
                            why.append("deleting port %d: %s" % (p.u32(VPA_PORT_NO), e))
            nl.request("ovs_flow", FL_DEL, b"", dp_ifindex=env.dp_ifindex)
            g = nl.request("ovs_datapath", DP_GET, nla_str(DPA_NAME, "fz0"))[0]
            if struct.unpack_from("=4Q", g.attrs[DPA_STATS])[3] != 0:
                why.append("flows left after a flush")
            env._ports = env.dump_ports()
            # A known flow forwards a known frame n1 -> n2; EXECUTE reaches n2.
            dport = 40000 + (self.n // max(1, self.args.batch)) % 20000
            key = (nla_u32(K_IN_PORT, 1) + nla(K_ETHERNET, bytes(12)) + nla(K_ETHERTYPE, b"\x08\x00")
                   + nla(K_IPV4, socket.inet_aton(IP1) + socket.inet_aton(IP2) + bytes([17, 0, 64, 0]))
                   + nla(K_UDP, struct.pack("!HH", 7, dport)))
            mask = (nla_u32(K_IN_PORT, 0xFFFFFFFF) + nla(K_ETHERNET, bytes(12)) + nla(K_ETHERTYPE, b"\xff\xff")
                    + nla(K_IPV4, bytes(8) + bytes([0xFF, 0, 0, 0])) + nla(K_UDP, b"\0\0\xff\xff"))
            nl.request("ovs_flow", FL_NEW, nla(FA_KEY, key) + nla(FA_MASK, mask) + nla(FA_ACTIONS, nla_u32(A_OUTPUT, 2)),
                       dp_ifindex=env.dp_ifindex, echo=False)
            rx = packet_socket("fzns2", "n2")
            try:
                marker = b"NLFZ-SANITY-%d" % self.n
                f = frame(dict(esrc=MAC1, edst=MAC2, src=IP1, dst=IP2, proto=17, sport=7, dport=dport, payload=marker))
                bg.tx[1].send(f)
                xmark = b"NLFZ-EXEC-%d" % self.n
                xf = frame(dict(esrc=MAC1, edst=MAC2, src=IP1, dst=IP2, proto=17, sport=8, dport=dport, payload=xmark))
                nl.request("ovs_packet", PK_EXECUTE, nla(PA_PACKET, xf) + nla(PA_KEY, nla_u32(K_IN_PORT, 1))
                           + nla(PA_ACTIONS, nla_u32(A_OUTPUT, 2)), dp_ifindex=env.dp_ifindex, echo=False)
                seen = set()
                end = time.time() + 5
                while len(seen) < 2 and time.time() < end:
                    if not select.select([rx], [], [], 0.2)[0]:
                        continue
                    while True:
                        try:
                            d = rx.recv(65536)
                        except BlockingIOError:
                            break
                        if marker in d:
                            seen.add("flow")
                        if xmark in d:
                            seen.add("execute")
                if "flow" not in seen:
                    why.append("the known flow did not forward n1 -> n2")
                if "execute" not in seen:
                    why.append("EXECUTE output:2 not seen on n2")
            finally:
                rx.close()
            nl.request("ovs_flow", FL_DEL, b"", dp_ifindex=env.dp_ifindex)
        except NlError as e:
            why.append("request failed: %s" % e)
        finally:
            bg.paused.clear()
        if why:
            self.sanity_fail.append("after %d datagrams: %s" % (self.n, "; ".join(why)))
            print("FAIL: sanity after %d datagrams: %s" % (self.n, "; ".join(why)), flush=True)
        else:
            self.sanity_ok += 1
        return not why

    def refresh_targets(self):
        try:
            self.env.extra_dps = {n: m.dp_ifindex for n, m in self.env.dump_dps().items() if n != "fz0"}
            self.env._ports = self.env.dump_ports()
        except NlError:
            pass


def summary_line(fz, bg, elapsed, seed):
    if fz.args.replay:
        seed = -1  # "seed -1": a replay
    by_fam = " ".join("%s %d (%d ok)" % (f, n, fz.ok.get(f, 0)) for f, n in sorted(fz.sent.items()))
    errs = " ".join("%s %d" % (k, v) for k, v in sorted(fz.errs.items(), key=lambda kv: -kv[1]))
    return ("nlfuzz: seed %d: %d datagrams in %.0f s (%.0f/s; %d mutated): %s; replies: %s; capped (amplification > %d): %d; "
            "traffic frames %d, upcalls miss %d action %d (listener overruns %d); sanity checks %d passed, %d failed; "
            "repairs %d; time: %.0f s generating, %.0f s journaling, %.0f s waiting for replies, %.0f s in sanity checks; slowest: %s"
            % (seed, fz.n, elapsed, fz.n / max(elapsed, 0.001), fz.mutated, by_fam, errs, fz.args.max_amp,
               fz.capped, bg.sent, bg.upcalls.get(PK_MISS, 0), bg.upcalls.get(PK_ACTION, 0), bg.overruns,
               fz.sanity_ok, len(fz.sanity_fail), fz.repairs, fz.t_gen, fz.t_journal, fz.t_kernel, fz.t_sanity,
               ", ".join("#%d %s %d bytes %.2f s" % (n, f, ln, dt) for dt, n, f, ln in fz.slowest)))


def run(args):
    os.makedirs(OUT, exist_ok=True)
    seed = args.seed if args.seed is not None else int(time.time()) & 0x7FFFFFFF
    if not args.replay:
        print("nlfuzz: seed %d (the same datagram sequence again: --seed %d)" % (seed, seed), flush=True)
    base = live_allocs()
    fz = Fuzzer(args)
    env = fz.env
    print("nlfuzz: families %s; live_allocs at start %s" % (sorted(env.fam_ids), base), flush=True)
    env.netns_setup()
    stop = threading.Event()
    env.ensure_dp()
    bg = Background(env, seed + 1, stop)
    bg.start()
    gen = Gen(random.Random(seed), env, args)
    ok = True
    t0 = time.time()
    last_report = t0
    replay = load_replay(args.replay) if args.replay else None
    try:
        if not fz.sanity(bg):
            ok = False
        while True:
            if replay is not None:
                if fz.n >= len(replay):
                    break
                rec = replay[fz.n]
                data, fams, raw, mutated = patch_replay(rec, env), rec["fams"], True, False
                seqs = []
            else:
                if args.iterations and fz.n >= args.iterations:
                    break
                if args.duration and time.time() - t0 >= args.duration:
                    break
                tg = time.time()
                data, fams, seqs, raw, mutated = gen.request()
                capped = args.max_amp and amplification(data, env.fam_of) > args.max_amp
                fz.t_gen += time.time() - tg
                if capped:
                    fz.capped += 1
                    continue
            for f in fams:
                fz.sent[f] = fz.sent.get(f, 0) + 1
            fz.mutated += mutated
            tj = time.time()
            fz.journal(data, fams)
            fz.t_journal += time.time() - tj
            before = dict(fz.errs)
            t1 = time.time()
            fz.send(data, fams, seqs, raw)
            dt = time.time() - t1
            fz.t_kernel += dt
            if len(fz.slowest) < 5 or dt > fz.slowest[-1][0]:
                fz.slowest = sorted(fz.slowest + [(dt, fz.n, ",".join(fams), len(data))], reverse=True)[:5]
            fz.n += 1
            if replay is not None and args.verbose:
                diff = {k: v - before.get(k, 0) for k, v in fz.errs.items() if v != before.get(k, 0)}
                print("# replay %d (%s): %s" % (rec["n"], ",".join(fams), diff or "no reply"), flush=True)
            if fz.n % 50 == 0:
                fz.refresh_targets()
            if fz.n % args.batch == 0 or (replay is not None and args.verbose):
                if not fz.sanity(bg):
                    ok = False
                    if len(fz.sanity_fail) >= 3:
                        print("nlfuzz: stopping after 3 failed sanity checks", flush=True)
                        break
            if time.time() - last_report > 30:
                last_report = time.time()
                print("# %s" % summary_line(fz, bg, time.time() - t0, seed), flush=True)
        if not fz.sanity(bg):
            ok = False
    finally:
        elapsed = time.time() - t0
        stop.set()
        for t in bg.threads:
            t.join(timeout=5)
        if fz.jfd is not None:
            os.close(fz.jfd)
        merge_journal()
    print(summary_line(fz, bg, elapsed, seed), flush=True)
    if fz.strict_refused:
        print("nlfuzz: requests built to be valid but refused (errno: extack, count): %s" % "; ".join(
            "%s x%d" % kv for kv in sorted(fz.strict_refused.items(), key=lambda kv: -kv[1])[:12]), flush=True)
    for m in fz.unusual:
        print("nlfuzz: unusual errno: %s" % m, flush=True)
    for m in fz.lost_replies[:10]:
        print("# warning: lost reply (not failed: not a hung module): %s" % m, flush=True)
    for m in fz.malformed[:10]:
        print("FAIL: malformed reply: %s" % m, flush=True)
    for m in bg.bad_upcalls[:10]:
        print("FAIL: malformed upcall: %s" % m, flush=True)
    ok = ok and not fz.malformed and not bg.bad_upcalls
    # Leak check: with every datapath gone and a grace period later, the
    # module's live allocations are back where they started.
    env.delete_all_dps()
    env.clear_ct_limits()
    for s in list(bg.tx.values()) + [fz.sock.sock, env.listener.sock]:
        s.close()
    env.netns_teardown()
    now = live_allocs()
    end = time.time() + 20
    while base is not None and now != base and time.time() < end:
        time.sleep(0.5)
        now = live_allocs()
    if base is None:
        print("nlfuzz: no live_allocs parameter (not our module?): leak check skipped", flush=True)
    elif now != base:
        print("FAIL: leak: live_allocs %d at start, %d with every datapath deleted" % (base, now), flush=True)
        ok = False
    else:
        print("PASS: no leak: live_allocs %d at start and after deleting every datapath" % base, flush=True)
    env.nl.close()
    with open(OUT + "/summary.txt", "a") as fh:
        fh.write(summary_line(fz, bg, elapsed, seed) + "\n")
    if fz.sanity_fail:
        print("FAIL: %d sanity check(s) failed: %s" % (len(fz.sanity_fail), fz.sanity_fail[0]), flush=True)
    print("PASS: nlfuzz seed %d" % seed if ok else "FAIL: nlfuzz seed %d" % seed, flush=True)
    return 0 if ok else 1


def read_journal(path):
    """Records {n, dp, fams, data} of a journal file; a record cut short by a
    crash ends it."""
    recs = []
    with open(path, "rb") as fh:
        buf = fh.read()
    off, hl = 0, struct.calcsize(JOURNAL_HDR)
    while off + hl <= len(buf):
        magic, n, dp, ln, nf = struct.unpack_from(JOURNAL_HDR, buf, off)
        if magic != b"NLFZ" or off + hl + nf + ln > len(buf):
            break
        fams = [FAMILIES[i] if i < len(FAMILIES) else "?" for i in buf[off + hl:off + hl + nf]]
        recs.append(dict(n=n, dp=dp, fams=fams, data=buf[off + hl + nf:off + hl + nf + ln]))
        off += hl + nf + ln
    return recs


def merge_journal():
    """last-datagrams.bin: both journal files' records in order."""
    recs = []
    for i in (0, 1):
        p = "%s/journal-%d.bin" % (OUT, i)
        if os.path.exists(p):
            recs += read_journal(p)
    recs.sort(key=lambda x: x["n"])
    with open(OUT + "/last-datagrams.bin", "wb") as fh:
        for x in recs:
            fh.write(struct.pack(JOURNAL_HDR, b"NLFZ", x["n"], x["dp"], len(x["data"]), len(x["fams"]))
                     + bytes(FAMILIES.index(f) for f in x["fams"]) + x["data"])
    return recs


def load_replay(path):
    """Datagrams of a journal file, or of a directory's journal-0/1.bin."""
    recs = []
    paths = [path] if os.path.isfile(path) else ["%s/journal-%d.bin" % (path, i) for i in (0, 1)]
    for p in paths:
        if os.path.exists(p):
            recs += read_journal(p)
    recs.sort(key=lambda x: x["n"])
    print("nlfuzz: replaying %d datagrams (%s)" % (len(recs), path), flush=True)
    return recs


def patch_replay(rec, env):
    """Family ids and fz0's ifindex of this boot into a recorded datagram."""
    b = bytearray(rec["data"])
    off = 0
    for fam in rec["fams"]:
        if off + 24 > len(b):
            break
        length = struct.unpack_from("=I", b, off)[0]
        if fam in env.fam_ids:
            struct.pack_into("=H", b, off + 4, env.fam_ids[fam])
        if struct.unpack_from("=i", b, off + 20)[0] == rec["dp"]:
            struct.pack_into("=i", b, off + 20, env.dp_ifindex)
        if length < 16:
            break
        off += (length + 3) & ~3
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, help="random seed (default: from the time; printed)")
    ap.add_argument("--duration", type=float, default=0, help="seconds to run (0: no limit)")
    ap.add_argument("--iterations", type=int, default=0, help="datagrams to send (0: no limit)")
    ap.add_argument("--batch", type=int, default=500, help="datagrams between sanity checks")
    ap.add_argument("--keep", type=int, default=200, help="datagrams journaled for replay (0: none)")
    ap.add_argument("--max-amp", type=int, default=0,
                    help="skip requests whose estimated packets out exceed this (0: no cap)")
    ap.add_argument("--p-strict", type=float, default=0.3,
                    help="share of messages built from choices the module should accept (no mutation)")
    ap.add_argument("--p-amp", type=float, default=0.01,
                    help="share of amplifying EXECUTEs (big frame, small MRU, many outputs)")
    ap.add_argument("--p-mutate", type=float, default=0.35, help="share of the other messages with tree mutations")
    ap.add_argument("--p-mutate-bytes", type=float, default=0.05, help="share of datagrams with byte mutations")
    ap.add_argument("--p-del-main", type=float, default=0.02,
                    help="chance that a delete targets fz0 or its ports h1, h2, fzi")
    ap.add_argument("--p-flush", type=float, default=0.05, help="chance that a flow delete deletes all")
    ap.add_argument("--replay", help="send the datagrams of a journal file (or dir) instead of generating")
    ap.add_argument("-v", "--verbose", action="store_true", help="replay: print each reply, sanity after each")
    args = ap.parse_args()
    if not args.duration and not args.iterations and not args.replay:
        args.duration = 60
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
