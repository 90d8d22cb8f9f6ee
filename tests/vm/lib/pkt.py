# SPDX-License-Identifier: GPL-2.0
"""Frames and namespaces for the VM tests (actions_wire.py, nlfuzz.py).

Packets: Ethernet frames built from a dict of fields (`frame`), Internet and
SCTP checksums, a checker for the checksums of a captured frame.  Namespaces:
`setns` into a named netns and back (one process serves several netns), and
AF_PACKET sockets bound to an interface of a netns that put VLAN tags taken
out by the kernel back into the frames they read.  Standard library only.
"""
import ctypes
import os
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
CLONE_NEWNET = 0x40000000
SO_RCVBUFFORCE = 33


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xffffffff
    for b in data:
        c = CRC32C[(c ^ b) & 0xff] ^ (c >> 8)
    return c ^ 0xffffffff


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def addr(s):
    return socket.inet_pton(socket.AF_INET6 if ":" in s else socket.AF_INET, s)


def l4_segment(p, src, dst):
    proto, sport, dport, payload = p["proto"], p["sport"], p["dport"], p["payload"]
    v6 = len(src) == 16
    if proto == 132:  # SCTP: common header and one DATA-typed chunk holding the payload
        pad = b"\0" * ((4 - len(payload) % 4) % 4)
        body = struct.pack("!HHII", sport, dport, 0x01020304, 0) + struct.pack("!BBH", 0, 3, 4 + len(payload)) \
            + payload + pad
        crc = crc32c(body) ^ p.get("sctp_crc_xor", 0)
        return body[:8] + struct.pack("<I", crc) + body[12:]
    if proto == 17:
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        coff = 6
    else:  # TCP: PSH|ACK, no options
        seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, 0x18, 8192, 0, 0) + payload
        coff = 16
    if v6:
        pseudo = src + dst + struct.pack("!I3xB", len(seg), proto)
    else:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    c = csum16(pseudo + seg)
    if proto == 17 and c == 0:
        c = 0xffff
    return seg[:coff] + struct.pack("!H", c) + seg[coff + 2:]


def l3_packet(p):
    src, dst = addr(p["src"]), addr(p["dst"])
    seg = l4_segment(p, src, dst)
    if len(src) == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, p.get("tos", 0), 20 + len(seg), 0x1234, 0x4000,
                          p.get("ttl", 64), p["proto"], 0, src, dst)
        hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
        return 0x0800, hdr + seg
    vtf = (6 << 28) | (p.get("tclass", 0) << 20) | p.get("label", 0)
    return 0x86dd, struct.pack("!IHBB", vtf, len(seg), p["proto"], p.get("hlimit", 64)) + src + dst + seg


def frame(p):
    """An Ethernet frame from a dict of fields: edst, esrc, src, dst (IPv4 or
    IPv6 text), proto (6, 17, 132), sport, dport, payload; optional tos, ttl,
    tclass, label, hlimit, vlans [(tpid, tci)...], mpls [lse...], mpls_type,
    sctp_crc_xor (a deliberately wrong SCTP CRC)."""
    ethertype, l3 = l3_packet(p)
    if p.get("mpls"):
        ethertype = p.get("mpls_type", 0x8847)
        l3 = b"".join(struct.pack("!I", lse) for lse in p["mpls"]) + l3
    out = mac(p["edst"]) + mac(p["esrc"])
    # 802.1Q/802.1ad tags (TPID, TCI), outermost first, before the ethertype.
    for tpid, tci in p.get("vlans", []):
        out += struct.pack("!HH", tpid, tci)
    return out + struct.pack("!H", ethertype) + l3


def verify_checksums(f):
    """'' if the frame's L3/L4 checksums are right (or it has none), else why."""
    off = 12
    et = struct.unpack_from("!H", f, off)[0]
    while et in (0x8100, 0x88a8):
        off += 4
        et = struct.unpack_from("!H", f, off)[0]
    off += 2
    if et in (0x8847, 0x8848):
        while True:
            lse = struct.unpack_from("!I", f, off)[0]
            off += 4
            if lse & 0x100:
                break
        et = 0x0800 if f[off] >> 4 == 4 else 0x86dd
    if et == 0x0800:
        ihl = (f[off] & 15) * 4
        if csum16(f[off:off + ihl]):
            return "bad IPv4 header checksum"
        proto = f[off + 9]
        src, dst = f[off + 12:off + 16], f[off + 16:off + 20]
        total = struct.unpack_from("!H", f, off + 2)[0]
        seg = f[off + ihl:off + total]
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    elif et == 0x86dd:
        proto = f[off + 6]
        src, dst = f[off + 8:off + 24], f[off + 24:off + 40]
        plen = struct.unpack_from("!H", f, off + 4)[0]
        seg = f[off + 40:off + 40 + plen]
        pseudo = src + dst + struct.pack("!I3xB", len(seg), proto)
    else:
        return ""
    if proto in (6, 17):
        if proto == 17 and struct.unpack_from("!H", seg, 6)[0] == 0:
            return ""
        if csum16(pseudo + seg):
            return "bad %s checksum" % ("UDP" if proto == 17 else "TCP")
    elif proto == 132:
        want = crc32c(seg[:8] + b"\0\0\0\0" + seg[12:])
        if struct.unpack_from("<I", seg, 8)[0] != want:
            return "bad SCTP CRC32c"
    return ""


# ---- Namespaces and sockets ------------------------------------------------------------

libc = ctypes.CDLL(None, use_errno=True)
ROOT_NS = os.open("/proc/self/ns/net", os.O_RDONLY)


def setns(path):
    fd = os.open(path, os.O_RDONLY) if isinstance(path, str) else path
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns %s" % path)
    if isinstance(path, str):
        os.close(fd)


def packet_socket(ns, ifname, rcvbuf_force=0):
    """A non-blocking AF_PACKET socket on `ifname` in netns `ns`; `rcvbuf_force`:
    a receive buffer of that many bytes even above net.core.rmem_max."""
    setns("/run/netns/" + ns)
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if rcvbuf_force:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf_force)
        s.bind((ifname, ETH_P_ALL))
        s.setblocking(False)
    finally:
        setns(ROOT_NS)
    return s


def receive_all(socks, quiet=1.5, total=8.0):
    """{ifname: [frames]} until nothing arrived for `quiet` seconds."""
    got = {name: [] for name in socks}
    end = time.time() + total
    by_fd = {s.fileno(): (name, s) for name, s in socks.items()}
    while time.time() < end:
        r = select.select([s for _, s in by_fd.values()], [], [], quiet)[0]
        if not r:
            break
        for s in r:
            name = by_fd[s.fileno()][0]
            while True:
                try:
                    data, anc, _, a = s.recvmsg(65536, socket.CMSG_SPACE(20))
                except BlockingIOError:
                    break
                if a[2] == PACKET_OUTGOING:
                    continue
                for level, typ, cdata in anc:
                    if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cdata) >= 20:
                        status, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", cdata[:20])
                        if status & TP_STATUS_VLAN_VALID:
                            if not status & TP_STATUS_VLAN_TPID_VALID:
                                tpid = 0x8100
                            data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
                got[name].append(data)
    return got
