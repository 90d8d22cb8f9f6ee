#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flows and packet keys where the kernel's own 6.1 module is the reference,
over raw generic netlink, in the guest:

 1. a new flow that duplicates an existing one (same key, one identified by
    key, the other by UFID) is EEXIST with NLM_F_CREATE, and the table keeps
    one flow per key;
 2. action lists as long as an attribute can carry (8,000 outputs, 2,000
    masked set(eth), 3,276 set(eth), 5,460 set(tunnel) in bridge mode) are
    accepted, echoed, returned by GET and dumped;
 3. OVS_KEY_ATTR_IPV6_EXTHDRS: the bits of hop-by-hop, routing, fragment,
    destination, AH, ESP, repeated and out-of-order extension headers in the
    upcall keys of packets sent into a port; a flow matching on the bits;
 5. an extension header running past the packet: no next header (59), no L4.

usage: flow_compare.py --out FILE       run the cases on the loaded module,
                                        check them, write what was seen (JSON)
       flow_compare.py --compare A B    both runs saw the same
ovsdp-suite.sh runs it on our module and on the stock one in the same boot.
"""
import argparse
import errno
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, NLM_F_CREATE, VPORT_ATTR,  # noqa: E402
                   VPORT_CMD, VPORT_TYPE, Cases, Genl, NlError, nla, nla_str, nla_u32, parse_attrs)

FLOW_CMD = dict(NEW=1, DEL=2, GET=3, SET=4)
FLOW_ATTR = dict(KEY=1, ACTIONS=2, STATS=3, MASK=7, UFID=9)
PACKET_CMD_MISS = 1
PACKET_ATTR_KEY = 2
K = dict(IN_PORT=3, ETHERNET=4, ETHERTYPE=6, IPV4=7, IPV6=8, TCP=9, UDP=10, TUNNEL=16, TCP_FLAGS=18,
         IPV6_EXTHDRS=32)
A = dict(OUTPUT=1, SET=3, SET_MASKED=11)
TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE = 16

# IPv6 extension header bits (the kernel's OFPIEH12_*).
NONEXT, ESP, AUTH, DEST, FRAG, ROUTER, HOP, UNREP, UNSEQ = (1 << i for i in range(9))
H, R, F, AH, D, N, E, T = 0, 43, 44, 51, 60, 59, 50, 6

MAC_SRC = bytes.fromhex("020000000a01")
MAC_DST = bytes.fromhex("020000000a02")
IP6_SRC = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
IP6_DST = socket.inet_pton(socket.AF_INET6, "2001:db8::2")

# (name, extension header chain then final protocol, bits, keyed protocol)
CHAINS = [
    ("plain tcp", [T], 0, T),
    ("hop-by-hop", [H, T], HOP, T),
    ("routing", [R, T], ROUTER, T),
    ("fragment", [F, T], FRAG, T),
    ("destination", [D, T], DEST, T),
    ("auth", [AH, T], AUTH, T),
    ("esp", [E], 0, E),
    ("hop then esp", [H, E], HOP, E),
    ("no next", [N], NONEXT, N),
    ("hop then no next", [H, N], HOP | NONEXT, N),
    ("recommended order", [H, D, R, F, AH, D, T], HOP | DEST | ROUTER | FRAG | AUTH, T),
    ("two destination headers", [D, D, T], DEST, T),
    ("three destination headers", [D, D, D, T], DEST | UNREP, T),
    ("routing after two destination headers", [D, D, R, T], DEST | ROUTER | UNSEQ, T),
    ("hop repeated", [H, H, T], HOP | UNREP | UNSEQ, T),
    ("routing repeated", [R, R, T], ROUTER | UNREP | UNSEQ, T),
    ("fragment repeated", [F, F, T], FRAG | UNREP | UNSEQ, T),
    ("auth repeated", [AH, AH, T], AUTH | UNREP | UNSEQ, T),
    ("hop not first", [R, H, T], ROUTER | UNSEQ, T),
    ("hop after destination", [D, H, T], DEST | UNSEQ, T),
    ("routing after fragment", [F, R, T], FRAG | ROUTER | UNSEQ, T),
    ("fragment after auth", [AH, F, T], AUTH | FRAG | UNSEQ, T),
    ("destination after routing", [R, D, T], ROUTER | DEST | UNSEQ, T),
]


def tcp(sport=1, dport=2):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x10, 1024, 0, 0)


def ext(nexthdr, len8=0):
    return bytes([nexthdr, len8]) + b"\0" * (8 * (len8 + 1) - 2)


def frag(nexthdr, offset=0, more=True):
    return bytes([nexthdr, 0]) + struct.pack("!HI", (offset & ~7) | int(more), 0xabcd)


def ipv6_frame(label, nexthdr, payload):
    ip6 = struct.pack("!IHBB", (6 << 28) | label, len(payload), nexthdr, 64) + IP6_SRC + IP6_DST
    return MAC_DST + MAC_SRC + struct.pack("!H", 0x86dd) + ip6 + payload


def chain_frame(label, chain):
    exts = b""
    for i in range(len(chain) - 1):
        exts += frag(chain[i + 1]) if chain[i] == F else ext(chain[i + 1])
    tail = tcp() if chain[-1] == T else b"\0" * 16
    return ipv6_frame(label, chain[0], exts + tail)


# Special packets: (name, frame builder(label), expected (proto, frag, bits, l4 ports or None))
SPECIAL = [
    # Item 5: hop-by-hop claiming 88 bytes, 28 there, "TCP" after it.
    ("hop-by-hop longer than the packet", lambda lb: ipv6_frame(lb, H, bytes([T, 10]) + b"\0" * 6 + tcp()),
     (N, 0, HOP, None)),
    ("hop-by-hop exactly the packet", lambda lb: ipv6_frame(lb, H, ext(T, 2)), (T, 0, HOP, [0, 0])),
    ("first fragment cut at 4 bytes", lambda lb: ipv6_frame(lb, F, bytes([17, 0, 0, 1])), (N, 1, FRAG, None)),
    ("later fragment cut at 4 bytes", lambda lb: ipv6_frame(lb, F, bytes([17, 0, 0, 0x41])), (F, 2, FRAG, None)),
    ("later fragment", lambda lb: ipv6_frame(lb, F, frag(T, 1480) + tcp()), (F, 2, FRAG, None)),
    # AH stepped over in 8-byte units by the bits: they read "routing" 40
    # bytes in (UDP payload), the protocol walk finds UDP.
    ("auth header bits in 8-byte units",
     lambda lb: ipv6_frame(lb, AH, bytes([D, 4]) + b"\0" * 22 + ext(17) + struct.pack("!HHHH", 7, 8, 24, 0)
                           + bytes([R, 0]) + b"\0" * 6 + bytes([T, 0]) + b"\0" * 6),
     (17, 0, AUTH | DEST | ROUTER | UNSEQ, [7, 8])),
]


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True)


class Run:
    def __init__(self, t):
        self.t = t
        self.nl = Genl()
        self.up = Genl()  # upcalls
        self.seen = {}
        sh("ip link del fc0 2>/dev/null; ip link add fc0 type veth peer name fc1")
        for i in ("fc0", "fc1"):
            sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1; ip link set %s up" % (i, i))
        m = self.nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "fcmp")
                            + nla_u32(DP_ATTR["UPCALL_PID"], self.up.portid)
                            + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0]
        self.ifx = m.dp_ifindex
        v = self.nl.request("ovs_vport", VPORT_CMD["NEW"], nla_str(VPORT_ATTR["NAME"], "fc0")
                            + nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["NETDEV"])
                            + nla_u32(VPORT_ATTR["UPCALL_PID"], self.up.portid), dp_ifindex=self.ifx)[0]
        self.port = v.u32(VPORT_ATTR["PORT_NO"])
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind(("fc1", 0))

    def close(self):
        try:
            self.nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "fcmp"))
        except NlError:
            pass
        sh("ip link del fc0")

    # ---- flows ----
    def flow(self, cmd, attrs, flags=0, echo=True, dump=False):
        return self.nl.request("ovs_flow", FLOW_CMD[cmd], attrs, dp_ifindex=self.ifx, flags=flags, echo=echo,
                               dump=dump)

    def errno_of(self, fn, *a, **kw):
        try:
            fn(*a, **kw)
            return 0
        except NlError as e:
            return e.errno

    def flush(self):
        self.flow("DEL", b"", echo=False)

    def dump(self):
        return self.flow("GET", b"", echo=False, dump=True)

    def udp4_key(self, src_last):
        ip4 = struct.pack("!4s4sBBBB", bytes([10, 0, 0, src_last]), bytes([10, 0, 0, 2]), 17, 0, 64, 0)
        return (nla_u32(K["IN_PORT"], self.port) + nla(K["ETHERNET"], MAC_SRC + MAC_DST)
                + nla(K["ETHERTYPE"], struct.pack("!H", 0x0800)) + nla(K["IPV4"], ip4)
                + nla(K["UDP"], struct.pack("!HH", 1, 2)))

    # ---- 1. duplicates ----
    def duplicates(self):
        t = self.t
        k1, k2 = nla(FLOW_ATTR["KEY"], self.udp4_key(1)), nla(FLOW_ATTR["KEY"], self.udp4_key(2))
        u1, u2, u3 = (nla(FLOW_ATTR["UFID"], bytes([i]) * 16) for i in (1, 2, 3))
        no_acts = nla(FLOW_ATTR["ACTIONS"], b"")
        out2 = nla(FLOW_ATTR["ACTIONS"], nla_u32(A["OUTPUT"], 2))
        new = lambda attrs, flags=0: self.errno_of(self.flow, "NEW", attrs, flags=flags)  # noqa: E731
        got = {}
        got["by key"] = new(k1 + no_acts)
        got["same key with a UFID, CREATE"] = new(k1 + u1 + no_acts, NLM_F_CREATE)
        got["flows after the duplicate"] = len(self.dump())
        got["same key with a UFID, no CREATE"] = new(k1 + u1 + out2)
        flows = self.dump()
        got["flows after the update"] = len(flows)
        got["the flow keeps its identifier"] = [FLOW_ATTR["UFID"] in f.attrs for f in flows]
        got["by UFID"] = new(k2 + u2 + no_acts)
        got["same key by key, CREATE"] = new(k2 + no_acts, NLM_F_CREATE)
        got["same key, another UFID, CREATE"] = new(k2 + u3 + no_acts, NLM_F_CREATE)
        got["same UFID, CREATE"] = new(k2 + u2 + no_acts, NLM_F_CREATE)
        got["known UFID, another key"] = new(k1 + u2 + out2)
        got["flows at the end"] = len(self.dump())
        self.flush()
        want = {"by key": 0, "same key with a UFID, CREATE": errno.EEXIST, "flows after the duplicate": 1,
                "same key with a UFID, no CREATE": 0, "flows after the update": 1,
                "the flow keeps its identifier": [False], "by UFID": 0,
                "same key by key, CREATE": errno.EEXIST, "same key, another UFID, CREATE": errno.EEXIST,
                "same UFID, CREATE": errno.EEXIST, "known UFID, another key": errno.ENOENT, "flows at the end": 2}
        for name, w in want.items():
            t.ok("duplicate flows: %s: %r" % (name, w), got[name] == w, "got %r" % (got[name],))
        self.seen["duplicates"] = got

    # ---- 2. long action lists ----
    def long_actions(self):
        t = self.t
        eth_masked = nla(A["SET_MASKED"], nla(K["ETHERNET"], MAC_DST + MAC_SRC + b"\xff" * 12))
        eth_set = nla(A["SET"], nla(K["ETHERNET"], MAC_DST + MAC_SRC))
        bridge = nla(A["SET"], nla(K["TUNNEL"], nla(TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE, b"")))
        lists = {
            "8,000 outputs": b"".join(nla_u32(A["OUTPUT"], 2) for _ in range(8000)),
            "2,000 masked set(eth)": eth_masked * 2000,
            "3,276 set(eth)": eth_set * 3276,
            "5,460 set(tunnel) in bridge mode": bridge * 5460,
        }
        got = {}
        for i, (name, acts) in enumerate(lists.items()):
            key = nla(FLOW_ATTR["KEY"], self.udp4_key(10 + i))
            try:
                r = self.flow("NEW", key + nla(FLOW_ATTR["ACTIONS"], acts))
                echo = r[0].attrs.get(FLOW_ATTR["ACTIONS"]) if r else None
                g = self.flow("GET", key)
                get = g[0].attrs.get(FLOW_ATTR["ACTIONS"]) if g else None
                got[name] = {"new": 0, "len": len(acts), "echo": echo == acts, "get": get == acts}
            except NlError as e:
                got[name] = {"new": e.errno, "len": len(acts)}
            t.ok("long actions: %s (%d bytes) accepted, echoed, returned by GET" % (name, len(acts)),
                 got[name] == {"new": 0, "len": len(acts), "echo": True, "get": True}, "got %r" % got[name])
        # Small flows around the big ones: the dump must not lose them.
        small = nla_u32(A["OUTPUT"], 3)
        for i in range(2):
            self.flow("NEW", nla(FLOW_ATTR["KEY"], self.udp4_key(20 + i)) + nla(FLOW_ATTR["ACTIONS"], small))
        flows = self.dump()
        sizes = sorted(len(f.attrs[FLOW_ATTR["ACTIONS"]]) if FLOW_ATTR["ACTIONS"] in f.attrs else -1
                       for f in flows)
        got["dump: action bytes per flow (-1: none)"] = sizes
        t.ok("long actions: every flow dumped", len(flows) == len(lists) + 2, "got %d flows" % len(flows))
        t.ok("long actions: dumped actions are whole or absent, small ones whole",
             all(s in [-1, 8] + [len(a) for a in lists.values()] for s in sizes) and sizes.count(8) == 2,
             "got %r" % sizes)
        self.flush()
        self.seen["long actions"] = got

    # ---- 3 and 5. extension header bits in upcall keys ----
    def send(self, frames):
        for f in frames:
            self.tx.send(f)

    def upcall_keys(self, want, timeout=10.0):
        """{flow label: key attrs} of the MISS upcalls for `want` labels (0: IPv4)."""
        keys = {}
        end = time.time() + timeout
        while time.time() < end and not set(want) <= set(keys):
            for m in self.up.notifications(timeout=0.5):
                if m is None or m.cmd != PACKET_CMD_MISS or PACKET_ATTR_KEY not in m.attrs:
                    continue
                k = parse_attrs(m.attrs[PACKET_ATTR_KEY])
                label = struct.unpack("!I", k[K["IPV6"]][32:36])[0] if K["IPV6"] in k else 0
                keys[label] = k
        return keys

    @staticmethod
    def summary(k):
        ip6 = k.get(K["IPV6"])
        if not ip6:
            return None
        bits = struct.unpack("=H", k[K["IPV6_EXTHDRS"]])[0] if K["IPV6_EXTHDRS"] in k else None
        l4 = None
        for a in (K["TCP"], K["UDP"]):
            if a in k:
                l4 = list(struct.unpack("!HH", k[a]))
        return [ip6[36], ip6[39], bits, l4]

    def exthdr_keys(self):
        t = self.t
        cases = []
        for name, chain, bits, proto in CHAINS:
            l4 = [1, 2] if proto == T else None
            cases.append((name, lambda lb, c=chain: chain_frame(lb, c), [proto, 1 if F in chain else 0, bits, l4]))
        for name, build, (proto, fr, bits, l4) in SPECIAL:
            cases.append((name, build, [proto, fr, bits, l4]))
        frames = [build(i + 1) for i, (_, build, _) in enumerate(cases)]
        ip4 = MAC_DST + MAC_SRC + struct.pack("!H", 0x0800) + struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) \
            + struct.pack("!HHHH", 1, 2, 8, 0)
        self.send(frames + [ip4])
        keys = self.upcall_keys(list(range(1, len(cases) + 1)) + [0])
        got = {}
        for i, (name, _, want) in enumerate(cases):
            s = self.summary(keys[i + 1]) if i + 1 in keys else None
            got[name] = s
            t.ok("upcall key: %s: proto %d, frag %d, exthdrs 0x%x, l4 %s" % (name, *want[:3], want[3]),
                 s == want, "got %r" % (s,))
        got["ipv4 key has IPV6_EXTHDRS"] = (K["IPV6_EXTHDRS"] in keys[0]) if 0 in keys else None
        t.ok("upcall key: IPv4 has no IPV6_EXTHDRS", got["ipv4 key has IPV6_EXTHDRS"] is False,
             "got %r" % got["ipv4 key has IPV6_EXTHDRS"])
        self.seen["upcall keys"] = got

    def exthdr_match(self):
        """A flow on hop-by-hop packets (exthdrs exactly HOP): they hit it, others miss."""
        t = self.t
        ip6 = IP6_SRC + IP6_DST + struct.pack("!IBBBB", 0, N, 0, 0, 0)
        key = (nla_u32(K["IN_PORT"], self.port) + nla(K["ETHERNET"], MAC_SRC + MAC_DST)
               + nla(K["ETHERTYPE"], struct.pack("!H", 0x86dd)) + nla(K["IPV6"], ip6)
               + nla(K["IPV6_EXTHDRS"], struct.pack("=H", HOP)))
        mask = (nla_u32(K["IN_PORT"], 0xffffffff) + nla(K["ETHERTYPE"], b"\xff\xff")
                + nla(K["IPV6_EXTHDRS"], b"\xff\xff"))
        got = {}
        got["new"] = self.errno_of(self.flow, "NEW", nla(FLOW_ATTR["KEY"], key) + nla(FLOW_ATTR["MASK"], mask)
                                   + nla(FLOW_ATTR["ACTIONS"], b""))
        self.up.notifications(timeout=0.2)  # drain
        self.send([chain_frame(2001, [H, T]), chain_frame(2002, [T]), chain_frame(2003, [R, T])])
        keys = self.upcall_keys([2002, 2003], timeout=5.0)
        got["missed"] = sorted(keys)
        flows = self.dump()
        got["flows"] = len(flows)
        if flows:
            f = flows[0]
            st = f.attrs.get(FLOW_ATTR["STATS"], b"")
            got["packets"] = struct.unpack("=Q", st[:8])[0] if len(st) >= 8 else 0
            fk = parse_attrs(f.attrs.get(FLOW_ATTR["KEY"], b""))
            fm = parse_attrs(f.attrs.get(FLOW_ATTR["MASK"], b""))
            got["dumped key bits"] = struct.unpack("=H", fk[K["IPV6_EXTHDRS"]])[0] if K["IPV6_EXTHDRS"] in fk else None
            got["dumped mask bits"] = struct.unpack("=H", fm[K["IPV6_EXTHDRS"]])[0] if K["IPV6_EXTHDRS"] in fm else None
        self.flush()
        want = {"new": 0, "missed": [2002, 2003], "flows": 1, "packets": 1, "dumped key bits": HOP,
                "dumped mask bits": 0xffff}
        for name, w in want.items():
            t.ok("flow on IPV6_EXTHDRS: %s: %r" % (name, w), got.get(name) == w, "got %r" % (got.get(name),))
        self.seen["exthdrs flow"] = got


def run(out):
    t = Cases()
    r = Run(t)
    try:
        for step in (r.duplicates, r.long_actions, r.exthdr_keys, r.exthdr_match):
            try:
                step()
            except Exception as e:  # noqa: BLE001 - a crash of one step is a failure, the rest still run
                t.ok(step.__name__, False, "raised %r" % e)
    finally:
        r.close()
    with open(out, "w") as f:
        json.dump(r.seen, f, indent=1, sort_keys=True)
    return t.summary()


def compare(a, b):
    t = Cases()
    with open(a) as f:
        x = json.load(f)
    with open(b) as f:
        y = json.load(f)
    for sect in sorted(set(x) | set(y)):
        xs, ys = x.get(sect, {}), y.get(sect, {})
        for name in sorted(set(xs) | set(ys)):
            t.ok("same as the kernel's module: %s: %s" % (sect, name), xs.get(name) == ys.get(name),
                 "ours %r, stock %r" % (xs.get(name), ys.get(name)))
    return t.summary()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2)
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    return run(args.out or "/tmp/flow_compare.json")


if __name__ == "__main__":
    sys.exit(main())
