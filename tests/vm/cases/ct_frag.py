#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""IP fragments through the ct action (upstream's handle_fragments()): a
fragmented UDP datagram, IPv4 and IPv6, EXECUTEd fragment by fragment (out of
order: the last, the middle, the first) with ct(zone) + output(veth) +
userspace(PID). Every fragment but the one that completes the datagram is
stolen (EXECUTE succeeds, nothing comes out); the completing one goes on as
the whole datagram: the upcall carries it byte for byte with the largest
fragment's size as OVS_PACKET_ATTR_MRU and a key that says not-fragmented
with the UDP ports, and the veth's peer sees it fragmented again to that MRU.
The results (frames in hex, the IPv6 fragment id masked: the kernel picks a
new one) are printed as JSON, so that tests/vm/cases/vswitchd.sh compares the
kernel's module and ours in one boot.
usage: ct_frag.py OUT.json [BASE]   (BASE: a fresh source port per module: connections outlive it)
"""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, VPORT_ATTR, VPORT_CMD, VPORT_TYPE,  # noqa: E402
                   Genl, NlError, nla, nla_str, nla_u32, parse_attrs)

K_IN_PORT, K_IPV4, K_IPV6, K_UDP, K_CT_STATE, K_CT_ZONE = 3, 7, 8, 10, 22, 23
A_OUTPUT, A_USERSPACE, A_CT = 1, 2, 12
CT_COMMIT, CT_ZONE = 1, 2
P_PACKET, P_KEY, P_MRU = 1, 2, 9
ETH_P_ALL = 3

nl = Genl()
up = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
up.bind((0, 0))
PID = up.getsockname()[0]


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


ETH4 = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
ETH6 = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd"
A4 = (socket.inet_aton("10.0.5.1"), socket.inet_aton("10.0.5.2"))
A6 = (socket.inet_pton(socket.AF_INET6, "2001:db8:5::1"), socket.inet_pton(socket.AF_INET6, "2001:db8:5::2"))


def udp_payload(sport, n):
    data = bytes((i * 7) & 0xFF for i in range(n))
    return struct.pack("!HHHH", sport, 5353, 8 + n, 0) + data


def ip4(ident, fo, payload):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, fo, 64, 17, 0, *A4))
    struct.pack_into("!H", h, 10, csum(bytes(h)))
    return ETH4 + bytes(h) + payload


def fragments4(sport, ident, n, per):
    udp = udp_payload(sport, n)
    frags = []
    for off in range(0, len(udp), per):
        part = udp[off:off + per]
        frags.append(ip4(ident, off // 8 | (0x2000 if off + per < len(udp) else 0), part))
    return ip4(ident, 0, udp), frags


def ip6(rest, nexthdr):
    return ETH6 + struct.pack("!IHBB16s16s", 0x60000000, len(rest), nexthdr, 64, *A6) + rest


def fragments6(sport, ident, n, per):
    udp = udp_payload(sport, n)
    frags = []
    for off in range(0, len(udp), per):
        part = udp[off:off + per]
        fo = off | (1 if off + per < len(udp) else 0)
        frags.append(ip6(struct.pack("!BBHI", 17, 0, fo, ident) + part, 44))
    return ip6(udp, 17), frags


def execute(dp, frame, actions):
    try:
        nl.request("ovs_packet", 3, nla(P_PACKET, frame) + nla(P_KEY, nla_u32(K_IN_PORT, 0)) + nla(3, actions),
                   dp_ifindex=dp, echo=False)
    except NlError as e:
        return e.errno
    return 0


def upcalls(timeout):
    got = []
    t_end = time.monotonic() + timeout
    up.settimeout(0.3)
    while time.monotonic() < t_end:
        try:
            data = up.recv(1 << 20)
        except socket.timeout:
            if got:
                break
            continue
        length = struct.unpack_from("=I", data, 0)[0]
        body = data[16:length]
        if len(body) >= 8 and body[0] == 2:  # OVS_PACKET_CMD_ACTION
            got.append(parse_attrs(body[8:]))
    return got


def captured(sock, v6, timeout=1.5):
    """Frames of this test's addresses seen on the veth peer."""
    out = []
    t_end = time.monotonic() + timeout
    while True:
        left = t_end - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            break
        f = sock.recv(65535)
        if v6 and f[12:14] == b"\x86\xdd" and f[22:38] == A6[0]:
            f = bytearray(f)
            if f[20] == 44:  # the fragment id is the kernel's pick
                f[58:62] = b"XXXX"
            out.append(bytes(f).hex())
        elif not v6 and f[12:14] == b"\x08\x00" and f[26:30] == A4[0]:
            out.append(f.hex())
    return out


def key_summary(k):
    r = {}
    if K_CT_STATE in k:
        r["ct_state"] = hex(struct.unpack("=I", k[K_CT_STATE][:4])[0])
        r["ct_zone"] = struct.unpack("=H", k[K_CT_ZONE][:2])[0]
    if K_IPV4 in k:
        r["frag"] = k[K_IPV4][11]
    if K_IPV6 in k:
        r["frag"] = k[K_IPV6][39]
    if K_UDP in k:
        r["udp_dst"] = struct.unpack("!H", k[K_UDP][2:4])[0]
    return r


def main():
    out = sys.argv[1]
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 42000
    subprocess.run("ip link del ctfa 2>/dev/null; ip link add ctfa type veth peer name ctfb && "
                   "sysctl -qw net.ipv6.conf.ctfa.disable_ipv6=1 net.ipv6.conf.ctfb.disable_ipv6=1 && "
                   "ip link set ctfa up && ip link set ctfb up", shell=True, check=True)
    try:
        nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctf0"))
    except NlError:
        pass
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "ctf0") + nla_u32(DP_ATTR["UPCALL_PID"], PID)
                    + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0].dp_ifindex
    nl.request("ovs_vport", VPORT_CMD["NEW"], nla_str(VPORT_ATTR["NAME"], "ctfa")
               + nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["NETDEV"]) + nla_u32(VPORT_ATTR["UPCALL_PID"], PID)
               + nla_u32(VPORT_ATTR["PORT_NO"], 2), dp_ifindex=dp)
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    cap.bind(("ctfb", 0))
    r = {}
    for v6 in (False, True):
        name = "IPv6" if v6 else "IPv4"
        sport = base + (1 if v6 else 0)
        whole, frags = (fragments6 if v6 else fragments4)(sport, 0x4242, 2000, 600)
        acts = (nla(A_CT, nla(CT_COMMIT, b"") + nla(CT_ZONE, struct.pack("=H", 11)))
                + nla_u32(A_OUTPUT, 2) + nla(A_USERSPACE, nla_u32(1, PID)))
        rcs = [execute(dp, frags[i], acts) for i in (3, 1, 2)]
        early = len(upcalls(0.5))
        rcs.append(execute(dp, frags[0], acts))
        ups = upcalls(3)
        res = {"execute errnos": rcs, "upcalls before the last fragment": early, "upcalls": len(ups)}
        if ups:
            a = ups[0]
            res["upcall packet is the whole datagram"] = a.get(P_PACKET) == whole
            res["upcall mru"] = struct.unpack("=H", a[P_MRU][:2])[0] if P_MRU in a else None
            res["upcall key"] = key_summary(parse_attrs(a.get(P_KEY, b"")))
        frames = captured(cap, v6)
        res["on the wire"] = [f.replace("%04x" % sport, "SPORT") for f in frames]
        res["fragments on the wire"] = len(frames)
        r[name] = res
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctf0"))
    subprocess.run("ip link del ctfa", shell=True)
    json.dump(r, open(out, "w"), indent=1, sort_keys=True)
    for k, v in r.items():
        for kk, vv in v.items():
            if kk != "on the wire":
                print("# %s %s: %s" % (k, kk, vv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
