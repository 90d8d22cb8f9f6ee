#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Lock contexts under load: EXECUTE (RCU, BH off) floods from several
processes while flow dumps and GETs (RCU) run and flows are added and deleted
(flow NEW/DEL), a port comes and goes and a second datapath is created and
destroyed under the EXECUTEs aimed at it. Every reply must be right: EXECUTE
0 (or ENODEV with its message when its datapath is gone), each dump returns
every stable flow exactly once, each GET finds its stable flow. vm-run fails
the run on any kernel WARNING/BUG/lockdep report.

Usage: lock_stress.py [SECONDS] (default 40)."""
import errno
import multiprocessing as mp
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, NLM_F_CREATE, VPORT_ATTR, VPORT_CMD, VPORT_TYPE, Cases, Genl,  # noqa: E402
                   NlError, nla, nla_str, nla_u32)

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 40.0
FLOW_NEW, FLOW_DEL, FLOW_GET = 1, 2, 3
FA_KEY, FA_ACTIONS, FA_MASK = 1, 2, 7
KEY_IN_PORT, KEY_ETHERNET, KEY_ETHERTYPE, KEY_IPV4 = 3, 4, 6, 7
ACT_OUTPUT = 1
PACKET_EXECUTE = 3
PA_PACKET, PA_KEY, PA_ACTIONS = 1, 2, 3
STABLE = 200


def flow_key(i):
    src = 0x0A000000 + i
    return (nla_u32(KEY_IN_PORT, 0) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, struct.pack("!H", 0x0800))
            + nla(KEY_IPV4, struct.pack("!II", src, 0) + bytes([0, 0, 64, 0])))


def flow_mask():
    return (nla_u32(KEY_IN_PORT, 0xFFFFFFFF) + nla(KEY_ETHERNET, bytes(12)) + nla(KEY_ETHERTYPE, b"\xff\xff")
            + nla(KEY_IPV4, struct.pack("!II", 0xFFFFFFFF, 0) + bytes([0, 0, 0, 0])))


def add_flow(nl, ifx, i):
    nl.request("ovs_flow", FLOW_NEW, nla(FA_KEY, flow_key(i)) + nla(FA_MASK, flow_mask())
               + nla(FA_ACTIONS, nla_u32(ACT_OUTPUT, 0)), dp_ifindex=ifx, echo=False, flags=NLM_F_CREATE)


def del_flow(nl, ifx, i):
    nl.request("ovs_flow", FLOW_DEL, nla(FA_KEY, flow_key(i)), dp_ifindex=ifx, echo=False)


def new_dp(nl, name):
    return nl.request("ovs_datapath", DP_CMD["NEW"], nla_str(DP_ATTR["NAME"], name)
                      + nla_u32(DP_ATTR["UPCALL_PID"], 0) + nla_u32(DP_ATTR["USER_FEATURES"], 1))[0].dp_ifindex


FRAME = (b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
         + bytes([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
         + struct.pack("!HHHH", 1000, 2000, 26, 0) + bytes(18))


def executor(q, ifx_of, in_port, deadline, target):
    """EXECUTE as fast as possible; counts replies by errno. `target` names
    the datapath aimed at in the result (results arrive in finishing order)."""
    nl = Genl()
    counts = {}
    attrs = (nla(PA_PACKET, FRAME) + nla(PA_KEY, nla_u32(KEY_IN_PORT, in_port))
             + nla(PA_ACTIONS, nla_u32(ACT_OUTPUT, 0)))
    bad_msgs = set()
    while time.time() < deadline:
        ifx = ifx_of()
        try:
            nl.request("ovs_packet", PACKET_EXECUTE, attrs, dp_ifindex=ifx, echo=False)
            counts[0] = counts.get(0, 0) + 1
        except NlError as e:
            counts[e.errno] = counts.get(e.errno, 0) + 1
            if e.errno == errno.ENODEV and "No datapath" not in e.extack and "port" not in e.extack:
                bad_msgs.add(e.extack)
    q.put(("exec", counts, sorted(bad_msgs), target))


def dumper(q, ifx, deadline):
    nl = Genl()
    dumps = bad = 0
    while time.time() < deadline:
        seen = {}
        for m in nl.request("ovs_flow", FLOW_GET, b"", dp_ifindex=ifx, dump=True, echo=False):
            k = m.attrs.get(FA_KEY, b"")
            # The IPv4 source address of our keys: the flow's number.
            pos = k.find(struct.pack("=HH", 16, KEY_IPV4))
            if pos >= 0:
                i = struct.unpack_from("!I", k, pos + 4)[0] - 0x0A000000
                seen[i] = seen.get(i, 0) + 1
        if any(seen.get(i, 0) != 1 for i in range(STABLE)) or any(n != 1 for n in seen.values()):
            bad += 1
        dumps += 1
    q.put(("dump", dumps, bad))


def getter(q, ifx, deadline):
    nl = Genl()
    gets = bad = 0
    i = 0
    while time.time() < deadline:
        try:
            r = nl.request("ovs_flow", FLOW_GET, nla(FA_KEY, flow_key(i % STABLE)), dp_ifindex=ifx, echo=False)
            bad += len(r) != 1
        except NlError:
            bad += 1
        gets += 1
        i += 1
    q.put(("get", gets, bad))


def flow_churn(q, ifx, deadline):
    nl = Genl()
    rounds = errors = 0
    while time.time() < deadline:
        ids = range(1000 + (rounds % 2) * 300, 1300 + (rounds % 2) * 300)
        for i in ids:
            try:
                add_flow(nl, ifx, i)
            except NlError:
                errors += 1
        for i in ids:
            try:
                del_flow(nl, ifx, i)
            except NlError:
                errors += 1
        rounds += 1
    q.put(("churn", rounds, errors))


def port_churn(q, ifx, deadline):
    """Port 1 of dp0 and the whole of dp1 come and go."""
    nl = Genl()
    rounds = errors = 0
    while time.time() < deadline:
        try:
            nl.request("ovs_vport", VPORT_CMD["NEW"], nla_str(VPORT_ATTR["NAME"], "lsp1")
                       + nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["INTERNAL"]) + nla_u32(VPORT_ATTR["PORT_NO"], 1)
                       + nla_u32(VPORT_ATTR["UPCALL_PID"], 0), dp_ifindex=ifx, echo=False)
            nl.request("ovs_vport", VPORT_CMD["DEL"], nla_str(VPORT_ATTR["NAME"], "lsp1"), echo=False)
            new_dp(nl, "lsdp1")
            time.sleep(0.05)
            nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "lsdp1"), echo=False)
        except NlError:
            errors += 1
        rounds += 1
    q.put(("ports", rounds, errors))


def main():
    t = Cases()
    nl = Genl()
    ifx = new_dp(nl, "lsdp0")
    for i in range(STABLE):
        add_flow(nl, ifx, i)
    t.ok("%d stable flows installed" % STABLE, len(nl.request("ovs_flow", FLOW_GET, b"", dp_ifindex=ifx,
                                                            dump=True, echo=False)) == STABLE)

    def dp1_ifindex():
        try:
            return int(open("/sys/class/net/lsdp1/ifindex").read())
        except OSError:
            return 999999  # gone: EXECUTE must say ENODEV

    deadline = time.time() + SECONDS
    q = mp.Queue()
    procs = [mp.Process(target=executor, args=(q, lambda: ifx, 1, deadline, "dp0")) for _ in range(3)]
    procs.append(mp.Process(target=executor, args=(q, dp1_ifindex, 0, deadline, "dp1")))
    procs += [mp.Process(target=dumper, args=(q, ifx, deadline)) for _ in range(2)]
    procs.append(mp.Process(target=getter, args=(q, ifx, deadline)))
    procs.append(mp.Process(target=flow_churn, args=(q, ifx, deadline)))
    procs.append(mp.Process(target=port_churn, args=(q, ifx, deadline)))
    for p in procs:
        p.start()
    results = [q.get(timeout=SECONDS + 120) for _ in procs]
    for p in procs:
        p.join()
    execs = [r for r in results if r[0] == "exec"]
    total = {}
    for _, counts, _, _ in execs:
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    print("EXECUTE replies by errno: %s" % total, flush=True)
    on_dp0 = [c for _, c, _, target in execs if target == "dp0"]
    on_dp1 = [c for _, c, _, target in execs if target == "dp1"]
    t.ok("EXECUTE on dp0 always succeeds (its input port comes and goes)",
         len(on_dp0) == 3 and all(set(c) == {0} for c in on_dp0), str(on_dp0))
    t.ok("EXECUTE on the datapath that comes and goes: 0 or ENODEV only",
         len(on_dp1) == 1 and set(on_dp1[0]) <= {0, errno.ENODEV}, str(on_dp1))
    t.ok("ENODEV replies carry their message", all(not r[2] for r in execs), str([r[2] for r in execs]))
    t.ok("EXECUTE ran often (%d)" % total.get(0, 0), total.get(0, 0) > 200)
    for kind, what in (("dump", "dumps returned every stable flow exactly once"),
                       ("get", "GETs found their stable flow")):
        rs = [r for r in results if r[0] == kind]
        n = sum(r[1] for r in rs)
        bad = sum(r[2] for r in rs)
        t.ok("%s (%d, %d bad)" % (what, n, bad), n > 0 and bad == 0)
    churn = [r for r in results if r[0] == "churn"][0]
    t.ok("flows added and deleted (%d rounds of 300)" % churn[1], churn[1] > 0 and churn[2] == 0,
         "%d errors" % churn[2])
    ports = [r for r in results if r[0] == "ports"][0]
    t.ok("port and datapath churn (%d rounds)" % ports[1], ports[1] > 0 and ports[2] == 0, "%d errors" % ports[2])
    left = nl.request("ovs_flow", FLOW_GET, b"", dp_ifindex=ifx, dump=True, echo=False)
    t.ok("only the stable flows are left", len(left) == STABLE, "%d flows" % len(left))
    nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], "lsdp0"), echo=False)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
