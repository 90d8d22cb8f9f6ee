#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A packet back from userspace finds its connection again (upstream's
ovs_ct_find_existing()): EXECUTEs with ct actions and a userspace action,
whose upcall keys (ct_state, zone, mark) and packets are printed as JSON, so
that tests/vm/cases/vswitchd.sh compares them between the kernel's module
and ours in one boot:
  - commit a UDP connection in zone 3, see its reply as +est+rpl;
  - the original direction again with an EXECUTE key saying +trk+new in
    zone 3: the connection is found, not looked up again, so the key keeps
    +new (a second pass through conntrack would say +est);
  - the same with the key's zone 4 (not this action's): looked up: +est;
  - destination NAT committed in zone 5, then the translated packet back
    with +trk+new+dnat: its inverted tuple finds the connection, the state
    is kept (a new lookup would find no connection for it and say +new).
usage: ct_refind.py OUT.json [FIRST_PORT]   (ports printed relative to it)
"""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import DP_ATTR, DP_CMD, DP_F_UNALIGNED, DP_F_VPORT_PIDS, Genl, NlError, nla, nla_str, nla_u32, parse_attrs  # noqa: E402

K_IN_PORT, K_CT_STATE, K_CT_ZONE, K_CT_MARK = 3, 22, 23, 24
A_USERSPACE, A_CT = 2, 12
CT_COMMIT, CT_ZONE, CT_NAT = 1, 2, 6
NAT_DST, NAT_IP_MIN, NAT_PROTO_MIN = 2, 3, 5
TRK, NEW, EST, RPL, INV, SNAT, DNAT = 0x20, 0x01, 0x02, 0x08, 0x10, 0x40, 0x80


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(src, dst, sport, dport):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 1, 0, 64, 17, 0, socket.inet_aton(src),
                               socket.inet_aton(dst)))
    struct.pack_into("!H", ip, 10, csum(bytes(ip)))
    return (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip)
            + struct.pack("!HHHH", sport, dport, 26, 0) + bytes(18))


def u16(atype, v):
    return nla(atype, struct.pack("=H", v))


nl = Genl()
up = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
up.bind((0, 0))
PID = up.getsockname()[0]
BASE = 40000  # the first source port (a fresh one for each module: conntrack outlives it)


def execute(dp, frame, actions, state=None, zone=None):
    """EXECUTE frame with actions + userspace(PID); the upcall's ct fields
    and IPv4/UDP addresses, or the errno."""
    key = nla_u32(K_IN_PORT, 0)
    if state is not None:
        key += nla_u32(K_CT_STATE, state) + u16(K_CT_ZONE, zone)
    acts = actions + nla(A_USERSPACE, nla_u32(1, PID))
    try:
        nl.request("ovs_packet", 3, nla(1, frame) + nla(2, key) + nla(3, acts), dp_ifindex=dp, echo=False)
    except NlError as e:
        return {"errno": e.errno}
    up.settimeout(2.0)
    t_end = time.monotonic() + 3
    while time.monotonic() < t_end:
        data = up.recv(1 << 20)
        length, mtype = struct.unpack_from("=IH", data, 0)
        body = data[16:length]
        if len(body) < 8 or body[0] != 2:  # OVS_PACKET_CMD_ACTION
            continue
        a = parse_attrs(body[8:])
        k = parse_attrs(a.get(2, b""))
        pkt = a.get(1, b"")
        return {"ct_state": hex(struct.unpack("=I", k[K_CT_STATE][:4])[0]) if K_CT_STATE in k else None,
                "ct_zone": struct.unpack("=H", k[K_CT_ZONE][:2])[0] if K_CT_ZONE in k else None,
                "ct_mark": struct.unpack("=I", k[K_CT_MARK][:4])[0] if K_CT_MARK in k else None,
                "ip": [socket.inet_ntoa(pkt[26:30]), socket.inet_ntoa(pkt[30:34])],
                "ports": [p - BASE if BASE <= p < BASE + 100 else p for p in struct.unpack("!HH", pkt[34:38])]}
    return {"upcall": "none"}


def ct(zone, commit=False, nat=None):
    return nla(A_CT, (nla(CT_COMMIT, b"") if commit else b"") + u16(CT_ZONE, zone) + (nla(CT_NAT, nat) if nat is not None else b""))


def main():
    global BASE
    out = sys.argv[1]
    base = BASE = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
    try:
        nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctr0"))
    except NlError:
        pass
    dp = nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], "ctr0") + nla_u32(DP_ATTR["UPCALL_PID"], PID)
                    + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS))[0].dp_ifindex
    a = udp("10.0.3.1", "10.0.3.2", base, 5000)
    b = udp("10.0.3.2", "10.0.3.1", 5000, base)
    r = {}
    r["commit A in zone 3"] = execute(dp, a, ct(3, commit=True))
    r["reply B in zone 3"] = execute(dp, b, ct(3))
    r["A again, key +trk+new zone 3"] = execute(dp, a, ct(3), TRK | NEW, 3)
    r["A again, key +trk+new zone 4 (not the action's)"] = execute(dp, a, ct(3), TRK | NEW, 4)
    r["A again, key +trk+inv zone 3"] = execute(dp, a, ct(3), TRK | INV, 3)
    r["B again, key +trk+new zone 3"] = execute(dp, b, ct(3), TRK | NEW, 3)
    c = udp("10.0.4.1", "10.0.4.2", base + 1, 80)
    nat = nla(NAT_DST, b"") + nla(NAT_IP_MIN, socket.inet_aton("10.0.4.9")) + u16(NAT_PROTO_MIN, 8080)
    r["commit C with dnat in zone 5"] = execute(dp, c, ct(5, commit=True, nat=nat))
    c2 = udp("10.0.4.1", "10.0.4.9", base + 1, 8080)
    r["translated C back, key +trk+new+dnat zone 5, ct(nat)"] = execute(dp, c2, ct(5, nat=b""), TRK | NEW | DNAT, 5)
    r["translated C back, key +trk+new zone 5 (no NAT bit)"] = execute(dp, c2, ct(5, nat=b""), TRK | NEW, 5)
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "ctr0"))
    json.dump(r, open(out, "w"), indent=1, sort_keys=True)
    for k, v in r.items():
        print("# %s: %s" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
