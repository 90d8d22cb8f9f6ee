# SPDX-License-Identifier: GPL-2.0
"""A small raw generic-netlink client for the Open vSwitch families.

Used by the VM tests to send exactly the requests a test needs (including
malformed ones) and to read errno, extack messages and notifications. Only the
Python standard library: every process start in the TCG guest is slow, so one
Python process runs many cases.
"""
import errno
import os
import select
import socket
import struct
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_EXT_ACK = 11
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP = 0x300
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7

# <linux/openvswitch.h>
DP_CMD = dict(NEW=1, DEL=2, GET=3, SET=4)
DP_ATTR = dict(NAME=1, UPCALL_PID=2, STATS=3, MEGAFLOW_STATS=4, USER_FEATURES=5, PAD=6,
               MASKS_CACHE_SIZE=7, PER_CPU_PIDS=8, IFINDEX=9)
VPORT_CMD = dict(NEW=1, DEL=2, GET=3, SET=4)
VPORT_ATTR = dict(PORT_NO=1, TYPE=2, NAME=3, OPTIONS=4, UPCALL_PID=5, STATS=6, PAD=7, IFINDEX=8,
                  NETNSID=9)
VPORT_TYPE = dict(NETDEV=1, INTERNAL=2, GRE=3, VXLAN=4, GENEVE=5)
DP_F_UNALIGNED = 1
DP_F_VPORT_PIDS = 2
DP_F_DISPATCH_UPCALL_PER_CPU = 8


def nla(atype, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * ((4 - length % 4) % 4)


def nla_u32(atype, v):
    return nla(atype, struct.pack("=I", v))


def nla_str(atype, s):
    return nla(atype, s.encode() + b"\0")


def parse_attrs(data):
    """{type: payload} of a flat attribute stream (last one wins)."""
    out = {}
    off = 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        out[atype & 0x3FFF] = data[off + 4:off + length]
        off += (length + 3) & ~3
    return out

def miss_upcalls(sock, timeout=2.0, poll=0.3, most=None):
    """Each OVS_PACKET_CMD_MISS upcall read from sock (a bound generic
    netlink socket) as (nlmsg_len, {attribute type: payload}), until
    `timeout` s have passed, a read waited `poll` s after one arrived, or
    `most` were read. Other messages are skipped."""
    out = []
    t_end = time.monotonic() + timeout
    sock.settimeout(poll)
    while time.monotonic() < t_end and (most is None or len(out) < most):
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            if out:
                break
            continue
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            body = data[off + 16:off + length]
            off += (length + 3) & ~3
            if mtype < 0x10 or len(body) < 8 or body[0] != 1:  # OVS_PACKET_CMD_MISS
                continue
            out.append((length, parse_attrs(body[8:])))
    return out



class NlError(Exception):
    def __init__(self, err, msg):
        super().__init__("%s (%s)" % (errno.errorcode.get(err, err), msg))
        self.errno = err
        self.extack = msg


class Msg:
    def __init__(self, cmd, version, dp_ifindex, attrs):
        self.cmd = cmd
        self.version = version
        self.dp_ifindex = dp_ifindex
        self.attrs = attrs

    def u32(self, atype):
        return struct.unpack("=I", self.attrs[atype][:4])[0]

    def str(self, atype):
        return self.attrs[atype].split(b"\0")[0].decode()


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, 0))
        self.portid = self.sock.getsockname()[0]
        self.seq = 1
        self.families = {}

    def close(self):
        self.sock.close()

    def _send(self, ftype, flags, payload):
        self.seq += 1
        hdr = struct.pack("=IHHII", 16 + len(payload), ftype, flags, self.seq, 0)
        self.sock.send(hdr + payload)
        return self.seq

    def _recv_all(self, seq):
        """Messages answering `seq` until an ack/error/done; raises NlError."""
        msgs = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, flags, mseq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body, 0)[0]
                    if err == 0:
                        return msgs
                    ext = ""
                    if flags & NLM_F_ACK_TLVS:
                        olen = 16 if flags & NLM_F_CAPPED else struct.unpack_from("=I", body, 4)[0]
                        tlvs = parse_attrs(body[4 + ((olen + 3) & ~3):])
                        if NLMSGERR_ATTR_MSG in tlvs:
                            ext = tlvs[NLMSGERR_ATTR_MSG].split(b"\0")[0].decode()
                    raise NlError(err, ext)
                if mtype == NLMSG_DONE:
                    # A dump that failed part-way ends with its errno here.
                    err = -struct.unpack_from("=i", body, 0)[0] if len(body) >= 4 else 0
                    if err:
                        raise NlError(err, "dump ended after %d messages" % len(msgs))
                    return msgs
                msgs.append(body)
                if not flags & NLM_F_MULTI and not (flags & NLM_F_ACK):
                    pass

    def family(self, name):
        if name not in self.families:
            payload = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + nla_str(CTRL_ATTR_FAMILY_NAME, name)
            seq = self._send(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, payload)
            body = self._recv_all(seq)[0]
            attrs = parse_attrs(body[4:])
            fid = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID][:2])[0]
            groups = {}
            grp = attrs.get(CTRL_ATTR_MCAST_GROUPS, b"")
            off = 0
            while off + 4 <= len(grp):
                length, _ = struct.unpack_from("=HH", grp, off)
                g = parse_attrs(grp[off + 4:off + length])
                groups[g[1].split(b"\0")[0].decode()] = struct.unpack("=I", g[2][:4])[0]
                off += (length + 3) & ~3
            self.families[name] = (fid, groups)
        return self.families[name]

    def request(self, fam, cmd, attrs=b"", dp_ifindex=0, version=None, dump=False, echo=True, flags=0):
        """Send a request; returns the list of reply Msgs (raises NlError).
        `flags`: more nlmsg flags (e.g. NLM_F_CREATE)."""
        fid, _ = self.family(fam)
        if version is None:
            version = {"ovs_datapath": 2}.get(fam, 1)
        payload = struct.pack("=BBHi", cmd, version, 0, dp_ifindex) + attrs
        flags |= NLM_F_REQUEST | NLM_F_ACK
        if dump:
            flags |= NLM_F_DUMP
        if echo:
            flags |= NLM_F_ECHO
        seq = self._send(fid, flags, payload)
        out = []
        for body in self._recv_all(seq):
            c, v, _, ifi = struct.unpack_from("=BBHi", body, 0)
            out.append(Msg(c, v, ifi, parse_attrs(body[8:])))
        return out

    def subscribe(self, fam, group):
        _, groups = self.family(fam)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups[group])

    def notifications(self, timeout=0.5):
        """Messages multicast to this (listen-only) socket within `timeout` seconds.
        Notifications carry the requester's portid and sequence number."""
        out = []
        while select.select([self.sock], [], [], timeout)[0]:
            try:
                data = self.sock.recv(1 << 20)
            except OSError as e:
                if e.errno != errno.ENOBUFS:  # overrun: some were dropped, read on
                    raise
                out.append(None)
                continue
            off = 0
            while off + 16 <= len(data):
                length, mtype, flags, mseq, pid = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if mtype >= 0x10 and len(body) >= 8:
                    c, v, _, ifi = struct.unpack_from("=BBHi", body, 0)
                    out.append(Msg(c, v, ifi, parse_attrs(body[8:])))
            timeout = 0.1
        return out


class Cases:
    """PASS/FAIL lines, one per case, and the closing 'N passed, M failed'."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name, cond, why=""):
        if cond:
            print("PASS: %s" % name, flush=True)
            self.passed += 1
        else:
            print("FAIL: %s: %s" % (name, why or "condition false"), flush=True)
            self.failed += 1
        return cond

    def expect_errno(self, case, err, fn, *args, extack=None, **kw):
        try:
            fn(*args, **kw)
        except NlError as e:
            if e.errno != err:
                return self.ok(case, False, "got %s, want %s" % (e, errno.errorcode[err]))
            if extack is not None and extack not in e.extack:
                return self.ok(case, False, "extack %r lacks %r" % (e.extack, extack))
            return self.ok(case, True)
        except Exception as e:  # noqa: BLE001 - any other failure is a test failure
            return self.ok(case, False, "raised %r" % e)
        return self.ok(case, False, "succeeded, want %s" % errno.errorcode[err])

    def run(self, case, fn, *args, **kw):
        try:
            r = fn(*args, **kw)
            self.ok(case, True)
            return r
        except Exception as e:  # noqa: BLE001
            self.ok(case, False, "raised %r" % e)
            return None

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1


TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000


def tap_upcall_datapath(tap, dp_name, features, nonblock=True, vnet_hdr=False, mtu=None, settle=0.3):
    """A tap device (no packet-information header; a virtio-net header with
    vnet_hdr) as the netdev port of a new datapath without flows whose
    upcalls go to a new netlink socket. After `settle` s, whatever the stack
    sent on its own (IPv6 router solicitations...) is read and dropped until
    the socket stays quiet for 0.2 s. Returns (tap fd, Genl, listener socket,
    the datapath's NEW reply)."""
    import fcntl
    fd = os.open("/dev/net/tun", os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))
    flags = IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if vnet_hdr else 0)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), flags))
    os.system("ip link set %s%s up" % (tap, " mtu %d" % mtu if mtu else ""))
    nl = Genl()
    listener = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    listener.bind((0, 0))
    pid = listener.getsockname()[0]
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], dp_name) + nla_u32(DP_ATTR["UPCALL_PID"], pid)
                    + nla_u32(DP_ATTR["USER_FEATURES"], features))[0]
    nl.request("ovs_vport", VPORT_CMD["NEW"], nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["NETDEV"])
               + nla_str(VPORT_ATTR["NAME"], tap) + nla_u32(VPORT_ATTR["UPCALL_PID"], pid), dp_ifindex=dp.dp_ifindex)
    time.sleep(settle)
    listener.settimeout(0.2)
    while True:
        try:
            listener.recv(1 << 20)
        except socket.timeout:
            break
    return fd, nl, listener, dp
