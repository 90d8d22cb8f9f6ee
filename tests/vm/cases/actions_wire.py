#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Every action of the packet path, checked on the wire (guest side of
tests/vm/cases/actions-wire.sh).

ns1 (n1) --veth-- h1 [port 1]  dp0  [port 2] h2 --veth-- n2 (ns2)
                                    [port 3] h3 --veth-- n3 (ns3)

One Python process: it installs every flow with one `ovsdp-ctl add-flows`,
starts `ovsdp-ctl monitor`, sends crafted frames from n1 on an AF_PACKET
socket, captures on n1 (frames coming back), n2 and n3 (VLAN tags put back
from PACKET_AUXDATA), and compares each captured frame byte for byte with the
frame built from scratch with the expected fields (so the checksums the
datapath fixed incrementally must equal the ones computed here), after
checking L3 and L4 checksums (IPv4 header, UDP/TCP with the pseudo-header,
SCTP CRC32c) on their own.  skb_mark and skb_priority do not survive the
namespace crossing, so tc ematch filters on h2's egress count them.  Each
frame carries a marker ("AWT:NAME") in its payload that says which check it
belongs to.  One PASS/FAIL line per check, then "N passed, M failed".

Also: set(tunnel) (tc flower's enc_* keys on h2's egress see the metadata
dst; output, recirculation and a userspace action after it), the monitor in
both upcall modes (per-CPU dispatch, vport PIDs) with `execute=`, refused
action lists, and OVS_PACKET_CMD_EXECUTE with OVS_PACKET_ATTR_MRU (IPv4 and
IPv6 fragments captured and reassembled; without MRU the packet is dropped).
Files in /results/actions-wire/: flows, dump, captures, monitor output.
"""
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import Genl, nla, nla_u32, parse_attrs  # noqa: E402
from pkt import ROOT_NS, csum16, frame, mac, packet_socket, receive_all, setns, verify_checksums  # noqa: E402

CTL = None
OUT = os.environ.get("OVSDP_RESULTS", "/results") + "/actions-wire"

MAC = {1: "02:00:00:00:01:01", 2: "02:00:00:00:02:02", 3: "02:00:00:00:03:03"}
IP1, IP2 = "10.0.0.1", "10.0.0.2"
IP6_1, IP6_2 = "2001:db8::1", "2001:db8::2"

passed = 0
failed = 0


def result(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: %s" % name, flush=True)
    else:
        failed += 1
        print("FAIL: %s: %s" % (name, why), flush=True)


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode:
        print("# command failed (%d): %s\n# %s" % (r.returncode, cmd, (r.stdout + r.stderr).strip()), flush=True)
    return r


# ---- Packets -------------------------------------------------------------------------

def base(name, dport, **kw):
    """Fields of a test frame: n1 -> n2, UDP over IPv4 unless told."""
    marker = ("AWT:%s:" % name).encode()
    p = dict(esrc=MAC[1], edst=MAC[2], src=IP1, dst=IP2, proto=17, sport=5000, dport=dport,
             payload=(marker + b"." * max(0, 40 - len(marker)) + bytes(i & 0xff for i in range(4000)))[:kw.pop("paylen", 104)])
    if kw.get("v6"):
        kw.pop("v6")
        p.update(src=IP6_1, dst=IP6_2)
    p.update(kw)
    return p


# ---- The checks ---------------------------------------------------------------------

class Check:
    """A flow (or flows) and the frames it sends; 'expect' maps an interface
    to the frames expected there; 'extra' judges anything else."""

    def __init__(self, name, flows, send, expect, csum=True):
        self.name, self.flows, self.send, self.expect, self.csum = name, flows, send, expect, csum


def udp4_key(dport, extra=""):
    return "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=%d)%s" % (dport, extra)


def udp6_key(dport):
    return "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp(dst=%d)" % dport


def build_checks(pid):
    C = []
    port = [20000]

    def nextport():
        port[0] += 1
        return port[0]

    def simple(name, actions, changes, out="n2", key=None, **kw):
        d = nextport()
        p = base(name, d, **{k: v for k, v in kw.items() if k in ("v6", "proto", "tos", "ttl", "sctp_crc_xor")})
        k = key(d) if key else (udp6_key(d) if p["src"] == IP6_1 else udp4_key(d))
        exp = dict(p, **changes)
        C.append(Check(name, ["%s %s" % (k, actions)], [frame(p)], {out: [frame(exp)]}))

    simple("output", "2", {})
    simple("output to the ingress port", "1", {}, out="n1")
    d = nextport()
    p = base("output to two ports", d)
    C.append(Check("output to two ports", ["%s 2,3" % udp4_key(d)], [frame(p)], {"n2": [frame(p)], "n3": [frame(p)]}))
    d = nextport()
    p = base("drop", d)
    C.append(Check("drop", ["%s drop" % udp4_key(d)], [frame(p)], {}))
    simple("userspace, then output", "userspace(pid=%d,userdata(a1b2c3d4e5f60718)),2" % pid, {})
    simple("set eth src and dst", "set(eth(src=02:aa:00:00:00:01,dst=02:aa:00:00:00:02)),2",
           dict(esrc="02:aa:00:00:00:01", edst="02:aa:00:00:00:02"))
    simple("set_masked eth dst", "set(eth(dst=02:bb:00:00:00:02)),2", dict(edst="02:bb:00:00:00:02"))
    simple("set_masked ipv4 src", "set(ipv4(src=192.0.2.55)),2", dict(src="192.0.2.55"))
    simple("set_masked ipv4 dst", "set(ipv4(dst=198.51.100.7)),2", dict(dst="198.51.100.7"))
    simple("set_masked ipv4 tos", "set(ipv4(tos=0xb8)),2", dict(tos=0xb8))
    simple("set_masked ipv4 ttl", "set(ipv4(ttl=7)),2", dict(ttl=7))
    simple("set ipv4 (all fields)",
           "set(ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,tos=0x10,ttl=33,frag=no)),2",
           dict(src="192.0.2.1", dst="192.0.2.2", tos=0x10, ttl=33))
    simple("set_masked ipv6 src", "set(ipv6(src=2001:db8:1::99)),2", dict(src="2001:db8:1::99"), v6=True)
    simple("set_masked ipv6 dst", "set(ipv6(dst=2001:db8:2::77)),2", dict(dst="2001:db8:2::77"), v6=True)
    simple("set_masked ipv6 tclass", "set(ipv6(tclass=0x2e)),2", dict(tclass=0x2e), v6=True)
    simple("set_masked ipv6 hlimit", "set(ipv6(hlimit=9)),2", dict(hlimit=9), v6=True)
    simple("set_masked ipv6 label", "set(ipv6(label=0x12345)),2", dict(label=0x12345), v6=True)
    # OVS's label mask is 20 bits, so ovs-dpctl syntax always gives a masked
    # IPv6 set (and one with proto/frag is refused, as upstream refuses it).
    simple("set_masked ipv6 (every writable field)",
           "set(ipv6(src=2001:db8:3::1,dst=2001:db8:3::2,label=0x54321,tclass=0x48,hlimit=3)),2",
           dict(src="2001:db8:3::1", dst="2001:db8:3::2", label=0x54321, tclass=0x48, hlimit=3), v6=True)
    # A TCP key needs tcp_flags (upstream's match_validate), wildcarded here.
    tcpkey = lambda d: "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=%d),tcp_flags(0/0)" % d  # noqa: E731
    sctpkey = lambda d: "in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(dst=%d)" % d  # noqa: E731
    simple("set_masked tcp src", "set(tcp(src=4444)),2", dict(sport=4444), key=tcpkey, proto=6)
    d = nextport()
    p = base("set_masked tcp dst", d, proto=6)
    C.append(Check("set_masked tcp dst", ["%s set(tcp(dst=8080)),2" % tcpkey(d)], [frame(p)],
                   {"n2": [frame(dict(p, dport=8080))]}))
    simple("set tcp (both ports)", "set(tcp(src=1212,dst=2323)),2", dict(sport=1212, dport=2323), key=tcpkey, proto=6)
    simple("set_masked udp src", "set(udp(src=3333)),2", dict(sport=3333))
    d = nextport()
    p = base("set_masked udp dst", d)
    C.append(Check("set_masked udp dst", ["%s set(udp(dst=53)),2" % udp4_key(d)], [frame(p)],
                   {"n2": [frame(dict(p, dport=53))]}))
    simple("set udp (both ports)", "set(udp(src=1111,dst=2222)),2", dict(sport=1111, dport=2222))
    simple("set_masked sctp src (CRC32c recomputed)", "set(sctp(src=7777)),2", dict(sport=7777),
           key=sctpkey, proto=132)
    d = nextport()
    p = base("set sctp dst", d, proto=132)
    C.append(Check("set sctp src and dst", ["%s set(sctp(src=7000,dst=7001)),2" % sctpkey(d)], [frame(p)],
                   {"n2": [frame(dict(p, sport=7000, dport=7001))]}))
    # A wrong CRC stays wrong by the same difference (upstream's set_sctp).
    d = nextport()
    p = base("set sctp keeps a bad CRC bad", d, proto=132, sctp_crc_xor=0x00ff0000)
    C.append(Check("set sctp keeps a bad CRC bad", ["%s set(sctp(src=7002)),2" % sctpkey(d)], [frame(p)],
                   {"n2": [frame(dict(p, sport=7002))]}, csum=False))
    simple("set skb_mark (wire unchanged; tc counts it)", "set(skb_mark(0x1234)),2", {})
    simple("set skb_priority (wire unchanged; tc counts it)", "set(skb_priority(0x10005)),2", {})

    simple("push_vlan", "push_vlan(vid=10,pcp=3),2", dict(vlans=[(0x8100, 0x600a)]))
    simple("push_vlan twice (QinQ, 802.1ad outer)", "push_vlan(vid=10,pcp=0),push_vlan(tpid=0x88a8,vid=20,pcp=1),2",
           dict(vlans=[(0x88a8, 0x2014), (0x8100, 0x000a)]))
    d = nextport()
    p = base("pop_vlan", d, vlans=[(0x8100, 30)])
    C.append(Check("pop_vlan", ["in_port(1),eth(),eth_type(0x8100),vlan(vid=30),encap(eth_type(0x0800),"
                                "ipv4(proto=17,frag=no),udp(dst=%d)) pop_vlan,2" % d],
                   [frame(p)], {"n2": [frame(dict(p, vlans=[]))]}))
    d = nextport()
    p = base("pop_vlan of QinQ", d, vlans=[(0x88a8, 40), (0x8100, 41)])
    C.append(Check("pop_vlan of QinQ (outer only)",
                   ["in_port(1),eth(),eth_type(0x88a8),vlan(vid=40),encap(eth_type(0x8100),vlan(vid=41),"
                    "encap(eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=%d))) pop_vlan,2" % d],
                   [frame(p)], {"n2": [frame(dict(p, vlans=[(0x8100, 41)]))]}))
    lse = lambda label, tc, ttl, bos=1: (label << 12) | (tc << 9) | (bos << 8) | ttl  # noqa: E731
    simple("push_mpls", "push_mpls(label=100,tc=3,ttl=9,bos=1,eth_type=0x8847),2", dict(mpls=[lse(100, 3, 9)]))
    # add_mpls without the L3-tunnel flag puts the label before the Ethernet
    # header (the packet becomes L3, upstream's push_mpls with mac_len 0);
    # push_eth makes it an Ethernet frame again.
    d = nextport()
    p = base("add_mpls", d)
    C.append(Check("add_mpls (Ethernet over MPLS), push_eth",
                   ["%s add_mpls(label=300,tc=0,ttl=5,bos=1,eth_type=0x8848),"
                    "push_eth(src=02:cc:00:00:00:03,dst=02:dd:00:00:00:04),2" % udp4_key(d)],
                   [frame(p)], {"n2": [mac("02:dd:00:00:00:04") + mac("02:cc:00:00:00:03") + struct.pack("!HI", 0x8848, lse(300, 0, 5))
                                       + frame(p)]}, csum=False))
    d = nextport()
    p = base("pop_mpls", d, mpls=[lse(200 + d % 1000, 0, 64)])
    C.append(Check("pop_mpls", ["in_port(1),eth(),eth_type(0x8847),mpls(label=%d) pop_mpls(eth_type=0x800),2"
                                % (200 + d % 1000)],
                   [frame(p)], {"n2": [frame(dict(p, mpls=None))]}))
    simple("pop_eth then push_eth", "pop_eth,push_eth(src=02:cc:00:00:00:01,dst=02:dd:00:00:00:02),2",
           dict(esrc="02:cc:00:00:00:01", edst="02:dd:00:00:00:02"))
    d = nextport()
    p = base("sample 100%", d)
    C.append(Check("sample 100%", ["%s sample(sample=100%%,actions(set(eth(dst=02:5a:00:00:00:01)),2)),2" % udp4_key(d)],
                   [frame(p)], {"n2": [frame(dict(p, edst="02:5a:00:00:00:01")), frame(p)]}))
    d = nextport()
    p = base("sample 0%", d)
    C.append(Check("sample 0%", ["%s sample(sample=0%%,actions(set(eth(dst=02:5a:00:00:00:02)),2)),2" % udp4_key(d)],
                   [frame(p)], {"n2": [frame(p)]}))
    d = nextport()
    p = base("clone", d)
    C.append(Check("clone (changes stay inside)", ["%s clone(set(ipv4(src=192.0.2.9)),2),3" % udp4_key(d)],
                   [frame(p)], {"n2": [frame(dict(p, src="192.0.2.9"))], "n3": [frame(p)]}))
    d = nextport()
    d2 = nextport()
    p = base("recirc", d)
    C.append(Check("recirc (second pass matches the rewritten port)",
                   ["recirc_id(0),%s set(udp(dst=%d)),recirc(101)" % (udp4_key(d), d2),
                    "recirc_id(101),%s 2" % udp4_key(d2)],
                   [frame(p)], {"n2": [frame(dict(p, dport=d2))]}))
    d = nextport()
    p = base("trunc", d)
    # The cut applies to the next output only (upstream resets cutlen).
    C.append(Check("trunc(70) applies to the next output only", ["%s trunc(70),2,3" % udp4_key(d)], [frame(p)],
                   {"n2": [frame(p)[:70]], "n3": [frame(p)]}, csum=False))
    d = nextport()
    big = base("check_pkt_len gt", d, paylen=300)
    small = base("check_pkt_len le", d, paylen=60)
    edge = base("check_pkt_len eq", d, paylen=200 - 42)  # a 200-byte frame: not greater
    C.append(Check("check_pkt_len (gt and le branches)",
                   ["%s check_pkt_len(size=200,gt(set(eth(dst=02:47:00:00:00:01)),2),le(set(eth(dst=02:48:00:00:00:01)),2))"
                    % udp4_key(d)],
                   [frame(big), frame(small), frame(edge)],
                   {"n2": [frame(dict(big, edst="02:47:00:00:00:01")), frame(dict(small, edst="02:48:00:00:00:01")),
                           frame(dict(edge, edst="02:48:00:00:00:01"))]}))
    d = nextport()
    live = base("dec_ttl 64", d)
    dying = base("dec_ttl 1", d, ttl=1)
    C.append(Check("dec_ttl ipv4 (ttl 64 -> 63; ttl 1 -> le_1 actions)",
                   ["%s dec_ttl(le_1(3)),2" % udp4_key(d)],
                   [frame(live), frame(dying)], {"n2": [frame(dict(live, ttl=63))], "n3": [frame(dying)]}))
    d = nextport()
    live6 = base("dec_ttl6 64", d, v6=True)
    dying6 = base("dec_ttl6 1", d, v6=True, hlimit=1)
    C.append(Check("dec_ttl ipv6 (hlimit 64 -> 63; hlimit 1 -> le_1 actions)", ["%s dec_ttl(le_1(3)),2" % udp6_key(d)],
                   [frame(live6), frame(dying6)], {"n2": [frame(dict(live6, hlimit=63))], "n3": [frame(dying6)]}))
    # set(tunnel): the tunnel rides on the skb as a metadata dst, dropped on
    # netdev transmit; the frame goes out unchanged.
    simple("set(tunnel) ipv4, output to a netdev", "set(tunnel(tun_id=0x5,dst=192.0.2.2,ttl=64,flags(df|key))),2", {})
    simple("set(tunnel) ipv6, output to a netdev",
           "set(tunnel(tun_id=0x6,ipv6_dst=2001:db8::99,ttl=9,tp_dst=6081,flags(key))),2", {})
    d = nextport()
    p = base("set(tunnel) then recirc", d)
    C.append(Check("set(tunnel), recirc, second pass outputs",
                   ["recirc_id(0),%s set(tunnel(tun_id=0x7,dst=192.0.2.3,ttl=64,flags(key))),recirc(103)" % udp4_key(d),
                    "recirc_id(103),%s 3" % udp4_key(d)],
                   [frame(p)], {"n3": [frame(p)]}))
    d = nextport()
    p = base("set(tunnel) then userspace", d)
    C.append(Check("set(tunnel), userspace(tunnel_out_port=2), output",
                   ["%s set(tunnel(tun_id=0x8,dst=192.0.2.4,ttl=64,flags(key))),"
                    "userspace(pid=%d,userdata(0102030405060708),tunnel_out_port=2),2" % (udp4_key(d), pid)],
                   [frame(p)], {"n2": [frame(p)]}))
    return C


def vport_pid_monitor_checks(tx):
    """Without per-CPU dispatch the monitor sets each vport's upcall PID, and
    puts the old ones (0) back when it exits."""
    nl = Genl()
    nl.request("ovs_datapath", 4, nla(1, b"dp0\0") + nla_u32(5, 1 | 2), echo=False)  # SET USER_FEATURES
    out = open(OUT + "/monitor-vport.txt", "w")
    mon = subprocess.Popen([CTL, "monitor", "dp0", "count=1"], stdout=out, stderr=subprocess.STDOUT)
    for _ in range(200):
        if "port id" in open(OUT + "/monitor-vport.txt").read():
            break
        time.sleep(0.1)
    dp_ifindex = int(open("/sys/class/net/dp0/ifindex").read())
    during = [struct.unpack("=I", m.attrs[5][:4])[0] for m in nl.request("ovs_vport", 3, b"", dp_ifindex=dp_ifindex,
                                                                         dump=True, echo=False)]
    tx.send(frame(base("vportpid", 9997, sport=5557)))
    try:
        rc = mon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        mon.kill()
        rc = "timeout"
    out.close()
    text = open(OUT + "/monitor-vport.txt").read()
    after = [struct.unpack("=I", m.attrs[5][:4])[0] for m in nl.request("ovs_vport", 3, b"", dp_ifindex=dp_ifindex,
                                                                        dump=True, echo=False)]
    m = re.search(r"port id (\d+)", text)
    pid = int(m.group(1)) if m else -1
    result("monitor without per-CPU dispatch: sets every vport's upcall PID, gets the miss, restores PID 0",
           rc == 0 and "(vport upcall PIDs" in text and "udp(src=5557,dst=9997)" in text
           and during == [pid] * len(during) and after == [0] * len(after),
           "exit %s, PIDs during %s after %s; %s" % (rc, during, after, text[-1000:]))
    nl.request("ovs_datapath", 4, nla(1, b"dp0\0") + nla_u32(5, 1 | 8), echo=False)
    nl.close()
    r = sh("%s -t 2 monitor dp0 count=1" % CTL, check=False)
    result("monitor -t 2 count=1 without traffic: exit 1, 'monitor: 0 of 1 upcalls before the timeout'",
           r.returncode == 1 and "0 of 1 upcalls before the timeout" in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))


# ---- MRU: OVS_PACKET_CMD_EXECUTE with OVS_PACKET_ATTR_MRU ----------------------------

OVS_PACKET_CMD_EXECUTE = 3
OVS_PACKET_ATTR_PACKET, OVS_PACKET_ATTR_KEY, OVS_PACKET_ATTR_ACTIONS, OVS_PACKET_ATTR_MRU = 1, 2, 3, 9
OVS_KEY_ATTR_IN_PORT = 3
OVS_ACTION_ATTR_OUTPUT = 1


def execute(nl, dp_ifindex, pkt, mru=None, out_port=2):
    attrs = nla(OVS_PACKET_ATTR_PACKET, pkt) + nla(OVS_PACKET_ATTR_KEY, nla_u32(OVS_KEY_ATTR_IN_PORT, 1)) \
        + nla(OVS_PACKET_ATTR_ACTIONS, nla_u32(OVS_ACTION_ATTR_OUTPUT, out_port))
    if mru is not None:
        attrs += nla(OVS_PACKET_ATTR_MRU, struct.pack("=H", mru))
    nl.request("ovs_packet", OVS_PACKET_CMD_EXECUTE, attrs, dp_ifindex=dp_ifindex, echo=False)


def check_ipv4_fragments(frags, orig, mru):
    """'' if `frags` are IPv4 fragments (each within mru, valid header
    checksum, consistent offsets and MF bits) that reassemble to `orig`."""
    if not frags:
        return "no fragments"
    o_ip = orig[14:]
    o_ihl = (o_ip[0] & 15) * 4
    pieces = []
    ident = None
    for f in frags:
        if f[:12] != orig[:12] or f[12:14] != b"\x08\x00":
            return "link-layer header differs: %s" % f[:14].hex()
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        total, fid, fo = struct.unpack_from("!HHH", ip, 2)
        if total > mru:
            return "fragment of %d bytes > MRU %d" % (total, mru)
        if csum16(ip[:ihl]):
            return "bad header checksum in fragment at %d" % ((fo & 0x1fff) * 8)
        if ident is None:
            ident = fid
        elif fid != ident:
            return "identification differs"
        if ip[12:20] != o_ip[12:20] or ip[9] != o_ip[9]:
            return "addresses or protocol differ"
        pieces.append(((fo & 0x1fff) * 8, bool(fo & 0x2000), ip[ihl:total]))
    pieces.sort()
    data = b""
    for i, (off, mf, payload) in enumerate(pieces):
        if off != len(data):
            return "fragment offsets %s not contiguous" % [p[0] for p in pieces]
        if mf != (i < len(pieces) - 1):
            return "MF bit wrong on fragment at %d" % off
        if i < len(pieces) - 1 and len(payload) % 8:
            return "non-final fragment payload %d not a multiple of 8" % len(payload)
        data += payload
    if data != o_ip[o_ihl:]:
        return "reassembled payload differs (%d vs %d bytes)" % (len(data), len(o_ip) - o_ihl)
    return ""


def check_ipv6_fragments(frags, orig, mru):
    if not frags:
        return "no fragments"
    o_ip = orig[14:]
    pieces = []
    ident = None
    for f in frags:
        if f[:12] != orig[:12] or f[12:14] != b"\x86\xdd":
            return "link-layer header differs: %s" % f[:14].hex()
        ip = f[14:]
        plen = struct.unpack_from("!H", ip, 4)[0]
        if 40 + plen > mru:
            return "fragment of %d bytes > MRU %d" % (40 + plen, mru)
        if ip[6] != 44 or ip[8:40] != o_ip[8:40]:
            return "not a fragment header, or addresses differ"
        nh, _, fo, fid = struct.unpack_from("!BBHI", ip, 40)
        if nh != o_ip[6]:
            return "fragment header next header %d" % nh
        if ident is None:
            ident = fid
        elif fid != ident:
            return "identification differs"
        pieces.append((fo & 0xfff8, bool(fo & 1), ip[48:40 + plen]))
    pieces.sort()
    data = b""
    for i, (off, m, payload) in enumerate(pieces):
        if off != len(data):
            return "fragment offsets %s not contiguous" % [p[0] for p in pieces]
        if m != (i < len(pieces) - 1):
            return "M bit wrong on fragment at %d" % off
        data += payload
    if data != o_ip[40:]:
        return "reassembled payload differs"
    return ""


def mru_checks(socks):
    nl = Genl()
    dp_ifindex = int(open("/sys/class/net/dp0/ifindex").read())
    v4 = frame(base("mru4", 40001, paylen=3000 - 28))      # IPv4 total length 3000
    v6 = frame(base("mru6", 40002, v6=True, paylen=3000 - 48))  # IPv6 packet of 3000 bytes
    fits = frame(base("mru fits", 40003, paylen=1000))
    over = frame(base("mru nofrag", 40004, paylen=3000 - 28))
    big_mru = frame(base("mru above mtu", 40005, paylen=3000 - 28))
    errors = []
    for pkt, mru in ((v4, 1400), (v6, 1400), (fits, 1400), (over, None), (big_mru, 1600)):
        try:
            execute(nl, dp_ifindex, pkt, mru)
        except Exception as e:  # noqa: BLE001
            errors.append("%s (mru %s): %s" % (pkt[60:80], mru, e))
    result("EXECUTE with and without OVS_PACKET_ATTR_MRU accepted", not errors, "; ".join(errors))
    got = receive_all(socks, quiet=1.0)
    n2 = got["n2"]

    v4f = [f for f in n2 if f[12:14] == b"\x08\x00" and f[14 + 4:14 + 6] == v4[14 + 4:14 + 6]
           and (struct.unpack_from("!H", f, 14 + 6)[0] & 0x3fff)]
    # The IPv4 fragments: those with an offset or MF, from our addresses.
    why = check_ipv4_fragments(v4f, v4, 1400)
    result("MRU 1400: 3000-byte IPv4 UDP to a 1500-MTU veth leaves as 3 fragments that reassemble",
           len(v4f) == 3 and not why, "%d fragments: %s" % (len(v4f), why))
    v6f = [f for f in n2 if f[12:14] == b"\x86\xdd" and f[14 + 6] == 44]
    why = check_ipv6_fragments(v6f, v6, 1400)
    result("MRU 1400: 3000-byte IPv6 UDP leaves as 3 fragments that reassemble",
           len(v6f) == 3 and not why, "%d fragments: %s" % (len(v6f), why))
    result("MRU 1400: a 1014-byte frame fits and leaves whole", [f for f in n2 if b"AWT:mru fits:" in f] == [fits],
           "")
    whole = [f for f in n2 if b"AWT:mru nofrag:" in f or b"AWT:mru above mtu:" in f]
    unfragmented = [f for f in n2 if f[12:14] == b"\x08\x00" and f[14 + 4:14 + 6] == over[14 + 4:14 + 6]
                    and not (struct.unpack_from("!H", f, 14 + 6)[0] & 0x3fff) and len(f) > 1514]
    result("no MRU, and MRU 1600 above the MTU: a 3000-byte packet is dropped (nothing on the wire)",
           not whole and not unfragmented, "%d frames" % (len(whole) + len(unfragmented)))
    dmesg = sh("dmesg").stdout
    result("no MRU: the drop is reported (h2: dropped over-mtu packet: 3000 > 1500)",
           "h2: dropped over-mtu packet: 3000 > 1500" in dmesg, dmesg[-500:])
    nl.close()


def main():
    global CTL
    args = sys.argv[1:]
    if len(args) != 2 or args[0] != "--ctl":
        print("usage: actions_wire.py --ctl PATH", file=sys.stderr)
        return 2
    CTL = args[1]
    os.makedirs(OUT, exist_ok=True)

    # Namespaces, no IPv6 autoconfiguration noise, fixed MACs.
    batch = []
    for i in (1, 2, 3):
        batch += ["netns add ns%d" % i,
                  "link add h%d type veth peer name n%d netns ns%d" % (i, i, i),
                  "link set h%d up" % i]
    open(OUT + "/ip.batch", "w").write("\n".join(batch) + "\n")
    sh("ip -batch %s/ip.batch" % OUT)
    for i in (1, 2, 3):
        setns("/run/netns/ns%d" % i)
        for f in ("all", "default"):
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % f, "w") as fh:
                fh.write("1")
        setns(ROOT_NS)
        sh("ip -n ns%d link set n%d address %s up" % (i, i, MAC[i]))
    for i in (1, 2, 3):
        with open("/proc/sys/net/ipv6/conf/h%d/disable_ipv6" % i, "w") as fh:
            fh.write("1")

    r = sh("%s add-dp dp0 h1 h2 h3" % CTL)
    result("add-dp dp0 h1 h2 h3", r.returncode == 0, r.stderr.strip())
    # tc on h2's egress counts marked and prioritised packets (they lose both
    # when crossing into ns2).
    sh("tc qdisc add dev h2 clsact")
    sh("tc filter add dev h2 egress protocol all prio 1 basic match 'meta(nf_mark eq 0x1234)' action pass")
    sh("tc filter add dev h2 egress protocol all prio 2 basic match 'meta(priority eq 0x10005)' action pass")
    # flower's enc_* keys read the skb's tunnel metadata dst: set(tunnel)'s.
    sh("tc filter add dev h2 egress protocol ip prio 3 flower enc_key_id 5 enc_dst_ip 192.0.2.2 enc_ttl 64 action pass")
    sh("tc filter add dev h2 egress protocol ip prio 4 flower enc_key_id 6 enc_dst_ip 2001:db8::99 enc_dst_port 6081 "
       "action pass")
    # ... and the one set before a recirculation, on h3 after the second pass.
    sh("tc qdisc add dev h3 clsact")
    sh("tc filter add dev h3 egress protocol ip prio 5 flower enc_key_id 7 enc_dst_ip 192.0.2.3 action pass")

    mon_out = open(OUT + "/monitor.txt", "w")
    mon = subprocess.Popen([CTL, "monitor", "dp0"], stdout=mon_out, stderr=subprocess.STDOUT)
    pid = None
    for _ in range(200):
        m = re.search(r"port id (\d+)", open(OUT + "/monitor.txt").read())
        if m:
            pid = int(m.group(1))
            break
        time.sleep(0.1)
    result("monitor starts and reports its port id", pid is not None, open(OUT + "/monitor.txt").read())
    if pid is None:
        return 1

    checks = build_checks(pid)
    flows = [f for c in checks for f in c.flows]
    # hash: 24 5-tuples (all on one half: 2^-23), each sent twice; dp_hash bit 0 decides the
    # destination MAC in the second pass.
    hport = 30001
    hash_frames = [frame(base("hash%02d" % i, hport, sport=6000 + i)) for i in range(24)]
    # recirc_id(0): a flow that leaves recirc_id wildcarded would also match
    # the second pass (and the dp_hash flows would "already exist").
    flows += ["recirc_id(0),%s hash(l4(0)),recirc(102)" % udp4_key(hport),
              "recirc_id(102),dp_hash(0/0x1),%s set(eth(dst=02:44:00:00:00:00)),2" % udp4_key(hport),
              "recirc_id(102),dp_hash(0x1/0x1),%s set(eth(dst=02:44:00:00:00:01)),2" % udp4_key(hport)]
    with open(OUT + "/flows.txt", "w") as fh:
        fh.write("\n".join("add " + f for f in flows) + "\n")
    r = sh("%s add-flows dp0 %s/flows.txt" % (CTL, OUT), check=False)
    why = (r.stdout + r.stderr).strip()[-2000:]
    if r.returncode:  # which ones: slow, only on failure
        sh("%s del-flows dp0" % CTL)
        for f in flows:
            k, a = f.split(" ")
            r1 = sh("%s add-flow dp0 '%s' '%s'" % (CTL, k, a), check=False)
            if r1.returncode:
                why += "\n%s: %s" % (f, r1.stderr.strip())
    result("add-flows: %d flows" % len(flows), r.returncode == 0, why)
    with open(OUT + "/dump-flows.txt", "w") as fh:
        fh.write(sh("%s dump-flows dp0" % CTL).stdout)

    # Refused as upstream refuses it: push_mpls after push_vlan (its
    # validation tracks the pushed tag).
    r = sh("%s add-flow dp0 '%s' 'push_vlan(vid=5,pcp=0),push_mpls(label=7,tc=0,ttl=2,bos=1,eth_type=0x8847),2'"
           % (CTL, udp4_key(29999)), check=False)
    result("push_mpls after push_vlan refused (EINVAL, as upstream)",
           r.returncode != 0 and "Invalid argument" in r.stderr, r.stderr)

    socks = {n: packet_socket("ns%d" % i, n) for i, n in ((1, "n1"), (2, "n2"), (3, "n3"))}
    tx = socks["n1"]
    # The miss: no flow matches UDP port 9999.
    miss = base("miss", 9999, sport=5555)
    tx.send(frame(miss))
    for c in checks:
        for f in c.send:
            tx.send(f)
    for f in hash_frames + hash_frames:
        tx.send(f)
    got = receive_all(socks)
    for n, frames in got.items():
        with open("%s/capture-%s.txt" % (OUT, n), "w") as fh:
            for f in frames:
                fh.write(f.hex() + "\n")

    def frames_of(name_marker):
        out = {}
        for n, frames in got.items():
            for f in frames:
                if name_marker in f:
                    out.setdefault(n, []).append(f)
        return out

    for c in checks:
        markers = set()
        for f in c.send:
            m = re.search(rb"AWT:[^:]*:", f)
            markers.add(m.group(0))
        seen = {}
        for mk in markers:
            for n, fs in frames_of(mk).items():
                seen.setdefault(n, []).extend(fs)
        why = []
        for n in ("n1", "n2", "n3"):
            want = sorted(c.expect.get(n, []))
            have = sorted(seen.get(n, []))
            if want != have:
                why.append("%s: expected %d frame(s) %s, got %d %s" % (
                    n, len(want), [w.hex() for w in want], len(have), [h.hex() for h in have]))
            if c.csum:
                for h in have:
                    bad = verify_checksums(h)
                    if bad:
                        why.append("%s: %s in %s" % (n, bad, h.hex()))
        result(c.name, not why, "; ".join(why))

    # hash: every frame once per send, both halves used, a 5-tuple always
    # lands on the same half.
    halves = {}
    ok = True
    why = ""
    for i, f in enumerate(hash_frames):
        mk = ("AWT:hash%02d:" % i).encode()
        outs = frames_of(mk).get("n2", [])
        dsts = set(o[:6] for o in outs)
        if len(outs) != 2 or len(dsts) != 1:
            ok = False
            why += "5-tuple %d: %d frames, %d destinations; " % (i, len(outs), len(dsts))
            continue
        d = dsts.pop()
        if d[:5] != mac("02:44:00:00:00")[:5] or outs[0][6:] != f[6:]:
            ok = False
            why += "5-tuple %d: unexpected frame %s; " % (i, outs[0].hex())
        halves[d] = halves.get(d, 0) + 1
    result("hash(l4) + recirc: dp_hash splits 24 5-tuples over both halves, stable per 5-tuple",
           ok and len(halves) == 2, why + "halves %s" % halves)

    # tc counters on h2's egress: exactly the marked / prioritised frame.
    r = sh("tc -s filter show dev h2 egress; tc -s filter show dev h3 egress")
    counts = {}
    prio = None
    for line in r.stdout.splitlines():
        m = re.match(r"filter .*pref (\d+) (basic|flower)", line)
        if m:
            prio = int(m.group(1))
        m = re.search(r"Sent \d+ bytes (\d+) pkt", line)
        if m and prio is not None and prio not in counts:
            counts[prio] = int(m.group(1))
    result("skb_mark 0x1234 seen on h2's egress by tc (1 packet)", counts.get(1) == 1, r.stdout)
    result("skb_priority 0x10005 seen on h2's egress by tc (1 packet)", counts.get(2) == 1, r.stdout)
    result("set(tunnel) ipv4: tunnel metadata on the skb at h2's egress (tc flower enc_key_id 5, 1 packet)",
           counts.get(3) == 1, r.stdout)
    result("set(tunnel) ipv6: tunnel metadata on the skb at h2's egress (tc flower enc_key_id 6, 1 packet)",
           counts.get(4) == 1, r.stdout)
    result("set(tunnel), recirc: the metadata survives the second pass (tc flower enc_key_id 7 on h3, 1 packet)",
           counts.get(5) == 1, r.stdout)

    # The monitor: the miss with its key, the userspace action with userdata.
    time.sleep(0.5)
    mon.terminate()
    rc = mon.wait(timeout=30)
    mon_out.close()
    text = open(OUT + "/monitor.txt").read()
    result("monitor exits 0 on SIGTERM", rc == 0, "exit %s" % rc)
    miss_lines = [ln for ln in text.splitlines() if ln.startswith("miss:") and "udp(src=5555,dst=9999)" in ln]
    want = ["in_port(1)", "eth(src=%s,dst=%s)" % (MAC[1], MAC[2]), "eth_type(0x0800)",
            "ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,", "udp(src=5555,dst=9999)", " len=%d" % len(frame(miss))]
    result("miss upcall printed by monitor with in_port, eth, ipv4 src/dst/proto, udp ports, length",
           len(miss_lines) == 1 and all(w in miss_lines[0] for w in want), "\n".join(miss_lines) or text[-2000:])
    act = [ln for ln in text.splitlines() if ln.startswith("action:") and "userdata(a1b2c3d4e5f60718)" in ln]
    result("userspace action upcall printed with its userdata and key",
           len(act) == 1 and "in_port(1)" in act[0] and "udp(src=5000,dst=" in act[0], "\n".join(act) or text[-2000:])
    tl = [ln for ln in text.splitlines() if ln.startswith("action:") and "userdata(0102030405060708)" in ln]
    result("userspace after set(tunnel) with tunnel_out_port of a netdev: upcall without egress_tun_key (as upstream)",
           len(tl) == 1 and "egress_tun_key" not in tl[0], "\n".join(tl) or text[-2000:])
    r = sh("%s show dp0" % CTL)
    result("monitor restored the upcall port ids (datapath still usable)", r.returncode == 0, r.stderr)

    # monitor execute=: re-injects the miss with the given actions.
    mon2_out = open(OUT + "/monitor-execute.txt", "w")
    mon2 = subprocess.Popen([CTL, "monitor", "dp0", "count=1", "hex", "execute=set(eth(dst=02:ee:00:00:00:01)),3"],
                            stdout=mon2_out, stderr=subprocess.STDOUT)
    for _ in range(200):
        if "port id" in open(OUT + "/monitor-execute.txt").read():
            break
        time.sleep(0.1)
    reinj = base("reinject", 9998)
    tx.send(frame(reinj))
    try:
        rc2 = mon2.wait(timeout=60)
    except subprocess.TimeoutExpired:
        mon2.kill()
        rc2 = "timeout"
    mon2_out.close()
    got2 = receive_all(socks, quiet=1.0)
    text2 = open(OUT + "/monitor-execute.txt").read()
    n3 = [f for f in got2["n3"] if b"AWT:reinject:" in f]
    result("monitor count=1 hex execute=: exits after one upcall, hex dump, packet re-injected with the actions",
           rc2 == 0 and "00000000  02 00 00 00 02 02" in text2
           and n3 == [frame(dict(reinj, edst="02:ee:00:00:00:01"))],
           "exit %s, %d frames on n3; monitor: %s" % (rc2, len(n3), text2[-1500:]))

    vport_pid_monitor_checks(tx)
    mru_checks(socks)

    r = sh("%s del-dp dp0" % CTL)
    result("del-dp dp0", r.returncode == 0, r.stderr)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    try:
        with open(os.environ.get("OVSDP_RESULTS", "/results") + "/summary", "a") as fh:
            fh.write("actions-wire: %d passed, %d failed\n" % (passed, failed))
    except OSError:
        pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
