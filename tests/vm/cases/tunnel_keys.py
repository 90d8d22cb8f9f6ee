#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tunnel part of MISS upcall keys: frames arrive through collect-metadata
tunnel devices (created with `ip link add ... external`, as ovs-vswitchd 3.1
creates vxlan_sys_4789, genev_sys_6081 and gre_sys) attached to a datapath as
netdev ports, sent by plain Linux vxlan, geneve and gretap devices in another
namespace with different VNIs, TTLs, DF, checksums and keys, over an IPv4 and
an IPv6 underlay, plus Geneve options set by a lightweight-tunnel route. Run
against the kernel's module and then ours in one boot
(tests/vm/cases/actions-wire.sh): every upcall's OVS_PACKET_ATTR_KEY, tunnel
attributes and all, must be the kernel module's, byte for byte.

The devices are made once (--record) and kept for --expect, so both modules
see the same senders (the outer UDP source port is a hash of the inner flow
with a per-boot seed). The datapath is made and deleted by each run.

usage: tunnel_keys.py --record FILE   (stock module)
       tunnel_keys.py --expect FILE   (ours: PASS/FAIL lines)
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, VPORT_ATTR, VPORT_CMD, VPORT_TYPE, Cases, Genl,  # noqa: E402
                   miss_upcalls, nla_str, nla_u32)

NS = "tk"
PKT_ATTR_PACKET, PKT_ATTR_KEY = 1, 2
OVS_KEY_ATTR_TUNNEL = 16
PORTS = ["vxlan_sys_4789", "genev_sys_6081", "gre_sys"]

# Sender devices in NS: name -> `ip link add` arguments (all reach 172.31.9.1
# or fd09::1 in the root namespace, over the veth tk-p <-> tk-h).
SENDERS = {
    "vxa": "type vxlan id 100 remote 172.31.9.1 local 172.31.9.2 dstport 4789 ttl 10 noudpcsum",
    "vxb": "type vxlan id 200 remote 172.31.9.1 local 172.31.9.2 dstport 4789 ttl 64 df set udpcsum tos 0x28",
    "vxc": "type vxlan id 16777215 remote 172.31.9.1 local 172.31.9.2 dstport 4789 ttl 1",
    "vx6": "type vxlan id 300 remote fd09::1 local fd09::2 dstport 4789 ttl 33",
    "gta": "type gretap remote 172.31.9.1 local 172.31.9.2 key 7 ttl 50",
    "gtb": "type gretap remote 172.31.9.1 local 172.31.9.2 ttl 60",
    "gtc": "type gretap remote 172.31.9.1 local 172.31.9.2 key 9 ttl 70 tos 0x20",
}
# Geneve senders: routes through a collect-md geneve device in NS (a plain
# geneve device may not share its port with it), one per inner destination:
# address -> encapsulation. With TLV options (class 0x0102 is OVN's).
GENEVE_ROUTES = {
    "10.99.0.2": "encap ip id 400 dst 172.31.9.1 src 172.31.9.2 ttl 20",
    "10.99.0.3": "encap ip id 500 dst 172.31.9.1 src 172.31.9.2 ttl 40 tos 0x10 csum"
                 " geneve_opts 0x0102:0x80:0a0b0c0d,0xffff:0x01:0001020304050607",
    "10.99.0.4": "encap ip6 id 600 dst fd09::1 hoplimit 99 geneve_opts 0x0102:0x80:00000001",
}


def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (cmd, r.stderr.strip()))
    return r.stdout


def setup():
    for m in ("vxlan", "geneve", "ip_gre"):
        subprocess.run(["modprobe", m])
    sh("ip netns add %s" % NS)
    sh("ip -n %s link set lo up" % NS)
    # No IPv6 autoconfiguration traffic from the senders (it would make upcalls).
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.disable_ipv6=1" % NS)
    sh("ip link add tk-h type veth peer name tk-p netns %s" % NS)
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.tk-p.disable_ipv6=0" % NS)
    # IPv6 on the underlay even after an earlier case of the same boot
    # disabled it by default (ovsdp-suite.sh, vswitchd.sh).
    sh("sysctl -qw net.ipv6.conf.tk-h.disable_ipv6=0")
    sh("ip addr add 172.31.9.1/24 dev tk-h && ip addr add fd09::1/64 dev tk-h nodad && ip link set tk-h up")
    sh("ip -n %s addr add 172.31.9.2/24 dev tk-p && ip -n %s addr add fd09::2/64 dev tk-p nodad"
       " && ip -n %s link set tk-p up" % (NS, NS, NS))
    # The receiving collect-metadata devices, as ovs-vswitchd makes them.
    sh("ip link add vxlan_sys_4789 type vxlan external nolearning dstport 4789 udp6zerocsumrx")
    sh("ip link add genev_sys_6081 type geneve external dstport 6081 udp6zerocsumrx")
    sh("ip link add gre_sys type gretap external")
    for p in PORTS:
        sh("ip link set %s addrgenmode none mtu 65000 up" % p)
    for name, args in SENDERS.items():
        sh("ip -n %s link add %s %s" % (NS, name, args))
        sh("ip -n %s link set %s up" % (NS, name))
    sh("ip -n %s link add gnx address 02:00:00:00:99:01 type geneve external" % NS)
    sh("ip -n %s link set gnx up" % NS)
    for addr, encap in GENEVE_ROUTES.items():
        sh("ip -n %s neigh add %s lladdr 02:00:00:00:99:02 dev gnx" % (NS, addr))
        sh("ip -n %s route add %s/32 %s dev gnx" % (NS, addr, encap))
    time.sleep(1.0)


def frame(i):
    """A fixed Ethernet/IPv4/UDP frame, payload marked with case number i."""
    payload = b"OVSDPTUN%02d" % i
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), i, 0, 64, 17, 0,
                     bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
    udp = struct.pack("!HHHH", 4000 + i, 5000, 8 + len(payload), 0)
    return bytes.fromhex("020000000a02" "020000000a01" "0800") + ip + udp + payload


def send(case_no, dev):
    if dev in GENEVE_ROUTES:
        # Through the lwtunnel route: an unconnected UDP socket in NS (no
        # socket hash on the skb: the outer source port hashes the flow).
        py = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('0.0.0.0',4999));"
              "s.sendto(b'OVSDPTUN%02d',('%s',5000))" % (case_no, dev))
        sh("ip netns exec %s python3 -c \"%s\"" % (NS, py))
        return
    py = ("import socket;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(('%s',0));"
          "s.send(bytes.fromhex('%s'))" % (dev, frame(case_no).hex()))
    sh("ip netns exec %s python3 -c \"%s\"" % (NS, py))


def cases():
    out = [(name, name) for name in SENDERS]
    out += [("geneve route %s" % a, a) for a in GENEVE_ROUTES]
    return out


def run():
    nl = Genl()
    listener = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    listener.bind((0, 0))
    pid = listener.getsockname()[0]
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "tk-dp")
                    + nla_u32(DP_ATTR["UPCALL_PID"], pid) + nla_u32(DP_ATTR["USER_FEATURES"], 3))[0]
    for p in PORTS:
        nl.request("ovs_vport", VPORT_CMD["NEW"], nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["NETDEV"])
                   + nla_str(VPORT_ATTR["NAME"], p) + nla_u32(VPORT_ATTR["UPCALL_PID"], pid),
                   dp_ifindex=dp.dp_ifindex)
    time.sleep(0.3)
    miss_upcalls(listener, 0.5)  # whatever came before
    got = {}
    for i, (name, dev) in enumerate(cases()):
        send(i, dev)
        mark = b"OVSDPTUN%02d" % i
        ups = miss_upcalls(listener, 2.0, 0.5)
        got[name] = [a.get(PKT_ATTR_KEY, b"").hex() for _, a in ups if mark in a.get(PKT_ATTR_PACKET, b"")]
    nl.request("ovs_datapath", DP_CMD["DEL"], b"", dp_ifindex=dp.dp_ifindex)
    listener.close()
    return got


def has_tunnel(key_hex):
    k = bytes.fromhex(key_hex)
    off = 0
    while off + 4 <= len(k):
        ln, t = struct.unpack_from("=HH", k, off)
        if ln < 4:
            break
        if t & 0x3fff == OVS_KEY_ATTR_TUNNEL:
            return True
        off += (ln + 3) & ~3
    return False


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "--record":
        setup()
    got = run()
    print("# tunnel upcall keys: %s" % json.dumps(got), flush=True)
    if mode == "--record":
        json.dump(got, open(path, "w"))
        bad = [n for n, ks in got.items() if len(ks) != 1 or not has_tunnel(ks[0])]
        if bad:
            print("# stock module: no single tunnel-keyed upcall for %s" % bad, flush=True)
        return 0 if got else 1
    want = json.load(open(path))
    t = Cases()
    for name, _ in cases():
        w = want.get(name, [])
        t.ok("tunnel key via %s: the upcall keys are the kernel module's (%d upcall(s), tunnel attribute %s)"
             % (name, len(w), "present" if w and has_tunnel(w[0]) else "ABSENT"),
             got.get(name) == w and len(w) == 1 and has_tunnel(w[0]),
             "ours %s, stock %s" % (got.get(name), w))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
