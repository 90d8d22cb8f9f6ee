#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flows installed with Debian's ovs-dpctl forward traffic between two
namespaces; per-NUMA flow statistics in the VM (2 nodes, one CPU each): pings pinned to
CPU 0 and to CPU 1 count on node 0 and node 1 of the flow they hit; the
extension appears only when asked for; a flow hit right after boot reports a
recent `used` (jiffies start 5 minutes below zero)."""
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import Cases, Genl, nla, nla_str, parse_attrs  # noqa: E402

OVS_FLOW_CMD_GET = 3
OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_STATS, OVS_FLOW_ATTR_USED = 1, 3, 5
NUMA_ATTR = 200  # OVSDP_FLOW_ATTR_NUMA_STATS (datapath/ovsdp_ext.h)


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=False, capture_output=True, text=True)


t = Cases()
for i in (1, 2):
    sh("ip netns add ns%d && ip link add h%d type veth peer name n%d && ip link set n%d netns ns%d" % (i, i, i, i, i))
    sh("ip -n ns%d addr add 10.0.0.%d/24 dev n%d && ip -n ns%d link set n%d up && ip link set h%d up"
       % (i, i, i, i, i, i))
t.ok("add-dp", sh("ovs-dpctl add-dp dp0 h1 h2").returncode == 0)
for inp, out in ((1, 2), (2, 1)):
    for et in ("0x0806),arp()", "0x0800),ipv4()"):
        sh("ovs-dpctl add-flow dp0 'in_port(%d),eth(),eth_type(%s' %d" % (inp, et, out))

uptime = float(open("/proc/uptime").read().split()[0])
r0 = sh("taskset -c 0 ip netns exec ns1 ping -c 4 -i 0.2 -W 2 10.0.0.2")
r1 = sh("taskset -c 1 ip netns exec ns1 ping -c 6 -i 0.2 -W 2 10.0.0.2")
t.ok("pings pinned to CPU 0 and CPU 1 pass through the flows", r0.returncode == 0 and r1.returncode == 0,
     r0.stdout + r1.stdout)

nl = Genl()
dp_ifindex = int(open("/sys/class/net/dp0/ifindex").read())
plain = nl.request("ovs_flow", OVS_FLOW_CMD_GET, b"", dp_ifindex=dp_ifindex, dump=True, echo=False)
t.ok("4 flows dumped", len(plain) == 4, "got %d" % len(plain))
t.ok("no per-NUMA attribute unless asked", all(NUMA_ATTR not in m.attrs for m in plain))
numa = nl.request("ovs_flow", OVS_FLOW_CMD_GET, nla(NUMA_ATTR, b""), dp_ifindex=dp_ifindex, dump=True, echo=False)
per_node_total = {0: 0, 1: 0}
sums_ok = True
for m in numa:
    packets = struct.unpack("=QQ", m.attrs[OVS_FLOW_ATTR_STATS])[0] if OVS_FLOW_ATTR_STATS in m.attrs else 0
    nodes = parse_attrs(m.attrs.get(NUMA_ATTR, b""))
    total = 0
    off = 0
    blob = m.attrs.get(NUMA_ATTR, b"")
    while off + 4 <= len(blob):
        length, _ = struct.unpack_from("=HH", blob, off)
        node = parse_attrs(blob[off + 4:off + length])
        nid = struct.unpack("=I", node[1])[0]
        npk = struct.unpack("=Q", node[2])[0]
        per_node_total[nid] = per_node_total.get(nid, 0) + npk
        total += npk
        off += (length + 3) & ~3
    if total != packets:
        sums_ok = False
    print("# flow: %d packets, per node %r" % (packets, nodes.keys() and per_node_total))
t.ok("per-node counts sum to the flow's packets", sums_ok)
# The ICMP flows from ns1 (in_port 1) carry 4 requests on CPU 0 and 6 on
# CPU 1; replies come back on the same CPUs.
t.ok("node 0 counted the CPU 0 pings", per_node_total.get(0, 0) >= 8, repr(per_node_total))
t.ok("node 1 counted the CPU 1 pings", per_node_total.get(1, 0) >= 12, repr(per_node_total))
# used: milliseconds on the monotonic clock; the flow was hit within seconds.
now_ms = time.clock_gettime(time.CLOCK_MONOTONIC) * 1000
used = [struct.unpack("=Q", m.attrs[OVS_FLOW_ATTR_USED])[0] for m in plain if OVS_FLOW_ATTR_USED in m.attrs]
t.ok("used is reported %.0f s after boot" % uptime, len(used) == 4 and all(0 <= now_ms - u < 60000 for u in used),
     "now %d used %r" % (now_ms, used))
dump = sh("ovs-dpctl dump-flows dp0").stdout
t.ok("ovs-dpctl dump-flows shows the flows with counters",
     dump.count("actions:") == 4 and "in_port(1),eth(),eth_type(0x0800), packets:10" in dump, dump)
t.ok("ovs-dpctl del-flows empties the table",
     sh("ovs-dpctl del-flows dp0").returncode == 0 and "flows: 0" in sh("ovs-dpctl show dp0").stdout)
r = sh("ip netns exec ns1 ping -c 1 -W 1 10.0.0.2")
t.ok("no forwarding without flows (misses are not answered: no upcall listener)", r.returncode != 0)
nl.close()
sh("ovs-dpctl del-dp dp0")
sys.exit(t.summary())
