#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ovs_datapath / ovs_vport over raw generic netlink, in the guest: every
command, the errors OVS userspace relies on, extack messages, notifications,
port numbers below 65535 (upstream's DP_MAX_PORTS) and a datapath with 2,000 ports."""
import errno
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ovsnl import (DP_ATTR, DP_CMD, DP_F_DISPATCH_UPCALL_PER_CPU, DP_F_UNALIGNED,  # noqa: E402
                   DP_F_VPORT_PIDS, VPORT_ATTR, VPORT_CMD, VPORT_TYPE, Cases, Genl, nla, nla_str,
                   nla_u32)

t = Cases()
nl = Genl()
mon = Genl()  # a second socket that only listens to notifications
mon.subscribe("ovs_vport", "ovs_vport")
mon.subscribe("ovs_datapath", "ovs_datapath")


def dp_new(name, features=DP_F_UNALIGNED | DP_F_VPORT_PIDS, extra=b"", pid=True):
    attrs = nla_str(DP_ATTR["NAME"], name)
    if pid:
        attrs += nla_u32(DP_ATTR["UPCALL_PID"], 0)
    if features is not None:
        attrs += nla_u32(DP_ATTR["USER_FEATURES"], features)
    return nl.request("ovs_datapath", DP_CMD["NEW"], attrs + extra)[0]


def dp_get(name):
    return nl.request("ovs_datapath", DP_CMD["GET"], nla_str(DP_ATTR["NAME"], name))[0]


def dp_del(name):
    return nl.request("ovs_datapath", DP_CMD["DEL"], nla_str(DP_ATTR["NAME"], name))


def vport_new(ifindex, name, vtype=VPORT_TYPE["INTERNAL"], port_no=None, pids=(0,), extra=b""):
    attrs = nla_str(VPORT_ATTR["NAME"], name) + nla_u32(VPORT_ATTR["TYPE"], vtype)
    attrs += nla(VPORT_ATTR["UPCALL_PID"], struct.pack("=%dI" % len(pids), *pids))
    if port_no is not None:
        attrs += nla_u32(VPORT_ATTR["PORT_NO"], port_no)
    return nl.request("ovs_vport", VPORT_CMD["NEW"], attrs + extra, dp_ifindex=ifindex)[0]


def vport_get(ifindex, name=None, port_no=None):
    attrs = nla_str(VPORT_ATTR["NAME"], name) if name else nla_u32(VPORT_ATTR["PORT_NO"], port_no)
    return nl.request("ovs_vport", VPORT_CMD["GET"], attrs, dp_ifindex=ifindex)[0]


def vport_del(ifindex, name):
    return nl.request("ovs_vport", VPORT_CMD["DEL"], nla_str(VPORT_ATTR["NAME"], name), dp_ifindex=ifindex)


def vport_dump(ifindex):
    return nl.request("ovs_vport", VPORT_CMD["GET"], b"", dp_ifindex=ifindex, dump=True, echo=False)


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=False, capture_output=True, text=True)


# ---- datapaths ---------------------------------------------------------------------
m = t.run("dp new", dp_new, "abi0")
ifx = m.dp_ifindex if m else 0
t.ok("dp new reply carries name and features",
     m is not None and m.str(DP_ATTR["NAME"]) == "abi0" and m.u32(DP_ATTR["USER_FEATURES"]) == 3)
t.ok("dp new reply has stats, megaflow stats, masks cache size 256",
     m is not None and len(m.attrs.get(DP_ATTR["STATS"], b"")) == 32
     and len(m.attrs.get(DP_ATTR["MEGAFLOW_STATS"], b"")) == 32
     and m.u32(DP_ATTR["MASKS_CACHE_SIZE"]) == 256)
t.ok("dp new notified", any(n and n.cmd == DP_CMD["NEW"] for n in mon.notifications()))
t.expect_errno("dp new duplicate name: EEXIST", errno.EEXIST, dp_new, "abi0")
t.expect_errno("dp new without upcall pid: EINVAL", errno.EINVAL, dp_new, "abi1", pid=False,
               extack="upcall PID")
t.expect_errno("dp new with unknown user feature bit: EOPNOTSUPP", errno.EOPNOTSUPP, dp_new, "abi1",
               features=1 << 31, extack="user features")
t.ok("refused dp new left no device", sh("ip link show abi1").returncode != 0)
t.expect_errno("dp new with a name too long: EINVAL", errno.EINVAL, dp_new, "x" * 16)
t.expect_errno("dp get unknown: ENODEV", errno.ENODEV, dp_get, "nosuchdp")
t.expect_errno("dp get by bad ifindex: ENODEV", errno.ENODEV, nl.request, "ovs_datapath", DP_CMD["GET"],
               b"", dp_ifindex=999999)
t.run("dp get by ifindex", nl.request, "ovs_datapath", DP_CMD["GET"], b"", dp_ifindex=ifx)
mon.notifications(0.1)
t.expect_errno("dp set masks cache 3: EINVAL", errno.EINVAL, nl.request, "ovs_datapath", DP_CMD["SET"],
               nla_str(DP_ATTR["NAME"], "abi0") + nla_u32(DP_ATTR["MASKS_CACHE_SIZE"], 3))
t.ok("failed dp set sent no notification", mon.notifications(0.3) == [])
r = t.run("dp set masks cache 512 and per-CPU dispatch", nl.request, "ovs_datapath", DP_CMD["SET"],
          nla_str(DP_ATTR["NAME"], "abi0") + nla_u32(DP_ATTR["MASKS_CACHE_SIZE"], 512)
          + nla_u32(DP_ATTR["USER_FEATURES"], DP_F_UNALIGNED | DP_F_VPORT_PIDS | DP_F_DISPATCH_UPCALL_PER_CPU)
          + nla(DP_ATTR["PER_CPU_PIDS"], struct.pack("=2I", 11, 12)))
g = dp_get("abi0")
t.ok("dp get shows cache 512 and per-CPU pids",
     g.u32(DP_ATTR["MASKS_CACHE_SIZE"]) == 512 and g.attrs.get(DP_ATTR["PER_CPU_PIDS"]) == struct.pack("=2I", 11, 12))
dumped = nl.request("ovs_datapath", DP_CMD["GET"], b"", dump=True, echo=False)
t.ok("dp dump lists abi0", [d.str(DP_ATTR["NAME"]) for d in dumped] == ["abi0"], repr([d.str(1) for d in dumped]))

# ---- vports ---------------------------------------------------------------------------
mon.notifications(0.1)
v = t.run("vport new internal", vport_new, ifx, "abi-i1")
t.ok("vport new got port 1", v is not None and v.u32(VPORT_ATTR["PORT_NO"]) == 1)
t.ok("vport new notified", any(n and n.cmd == VPORT_CMD["NEW"] for n in mon.notifications()))
t.ok("internal port is a real netdev", sh("ip link show abi-i1").returncode == 0)
t.ok("internal port goes up and takes a MAC and an MTU",
     sh("ip link set abi-i1 up && ip link set abi-i1 mtu 9000 && ip link set abi-i1 address 02:00:00:00:00:01"
        " && ip link show abi-i1 | grep -q 'mtu 9000' && ip link show abi-i1 | grep -q 02:00:00:00:00:01"
        " && ip link show abi-i1 | grep -q ',UP'").returncode == 0)
t.run("vport new with requested number 100", vport_new, ifx, "abi-i100", port_no=100)
t.expect_errno("vport new with a used number: EBUSY", errno.EBUSY, vport_new, ifx, "abi-x", port_no=100)
t.expect_errno("vport new number 65535: EFBIG", errno.EFBIG, vport_new, ifx, "abi-x", port_no=65535)
m = t.run("vport new number 65534", vport_new, ifx, "abi-i65534", port_no=65534)
t.expect_errno("vport new gre: EAFNOSUPPORT", errno.EAFNOSUPPORT, vport_new, ifx, "abi-gre",
               vtype=VPORT_TYPE["GRE"])
t.expect_errno("vport new netdev for a missing device: ENODEV", errno.ENODEV, vport_new, ifx, "nosuchdev",
               vtype=VPORT_TYPE["NETDEV"], extack="No network device")
t.expect_errno("vport new netdev on loopback: EINVAL", errno.EINVAL, vport_new, ifx, "lo",
               vtype=VPORT_TYPE["NETDEV"])
t.expect_errno("vport new with options on internal: EOPNOTSUPP", errno.EOPNOTSUPP, vport_new, ifx, "abi-o",
               extra=nla(VPORT_ATTR["OPTIONS"], b""))
t.expect_errno("vport new with an empty upcall pid array: EINVAL", errno.EINVAL, vport_new, ifx, "abi-e",
               pids=())
t.ok("refused vport news left no devices",
     all(sh("ip link show %s" % n).returncode != 0 for n in ("abi-x", "abi-gre", "abi-o", "abi-e")))
t.expect_errno("vport new on an unknown datapath: ENODEV", errno.ENODEV, vport_new, 999999, "abi-z")
t.expect_errno("vport new with an existing device name: EEXIST", errno.EEXIST, vport_new, ifx, "abi-i1")
t.expect_errno("vport get unknown: ENODEV", errno.ENODEV, vport_get, ifx, name="nosuch")
t.expect_errno("vport get by number 70000: EFBIG", errno.EFBIG, vport_get, ifx, port_no=70000)
t.ok("vport get by number", vport_get(ifx, port_no=100).str(VPORT_ATTR["NAME"]) == "abi-i100")
t.expect_errno("vport del of the local port: EINVAL", errno.EINVAL, vport_del, ifx, "abi0")

# netdev ports
sh("ip link add abi-v0 type veth peer name abi-v1")
v = t.run("vport new netdev (veth)", vport_new, ifx, "abi-v0", vtype=VPORT_TYPE["NETDEV"])
t.ok("netdev port is enslaved and promiscuous",
     "master abi0" in sh("ip link show abi-v0").stdout and "promiscuity 1" in sh("ip -d link show abi-v0").stdout)
t.expect_errno("the same device twice: EEXIST", errno.EEXIST, vport_new, ifx, "abi-v0", vtype=VPORT_TYPE["NETDEV"])
t.expect_errno("an internal device as a netdev port: EINVAL", errno.EINVAL, vport_new, ifx, "abi-i1",
               vtype=VPORT_TYPE["NETDEV"])

# SET: options refused without a notification; upcall pids accepted with one.
mon.notifications(0.1)
t.expect_errno("vport set options: EOPNOTSUPP", errno.EOPNOTSUPP, nl.request, "ovs_vport", VPORT_CMD["SET"],
               nla_str(VPORT_ATTR["NAME"], "abi-v0") + nla(VPORT_ATTR["OPTIONS"], b""), dp_ifindex=ifx)
t.ok("failed vport set sent no notification", mon.notifications(0.3) == [])
t.expect_errno("vport set type change: EINVAL", errno.EINVAL, nl.request, "ovs_vport", VPORT_CMD["SET"],
               nla_str(VPORT_ATTR["NAME"], "abi-v0") + nla_u32(VPORT_ATTR["TYPE"], VPORT_TYPE["INTERNAL"]),
               dp_ifindex=ifx)
# One upcall PID per possible CPU at most (as the kernel's module since its
# fix for vport replies too small for the array): one more is EINVAL.
ncpus = os.cpu_count() or 1
pids = struct.pack("=%dI" % ncpus, *range(5, 5 + ncpus))
t.expect_errno("vport set: more upcall pids than CPUs: EINVAL", errno.EINVAL, nl.request, "ovs_vport",
               VPORT_CMD["SET"], nla_str(VPORT_ATTR["NAME"], "abi-v0")
               + nla(VPORT_ATTR["UPCALL_PID"], pids + struct.pack("=I", 99)), dp_ifindex=ifx)
t.ok("failed vport set sent no notification", mon.notifications(0.3) == [])
r = t.run("vport set upcall pids (one per CPU)", nl.request, "ovs_vport", VPORT_CMD["SET"],
          nla_str(VPORT_ATTR["NAME"], "abi-v0") + nla(VPORT_ATTR["UPCALL_PID"], pids), dp_ifindex=ifx)
t.ok("vport set notified", any(n and n.cmd == VPORT_CMD["SET"] for n in mon.notifications()))
t.ok("all upcall pids reported with OVS_DP_F_VPORT_PIDS",
     vport_get(ifx, name="abi-v0").attrs[VPORT_ATTR["UPCALL_PID"]] == pids)

# The device goes away: the port is removed and a DEL notification sent.
mon.notifications(0.1)
sh("ip link del abi-v1")
time.sleep(0.5)
notes = mon.notifications(1.0)
t.ok("deleted device: DEL notification", any(n and n.cmd == VPORT_CMD["DEL"] and n.str(VPORT_ATTR["NAME"]) == "abi-v0"
                                              for n in notes), repr([(n.cmd, n.attrs.get(3)) for n in notes if n]))
t.expect_errno("deleted device: port gone", errno.ENODEV, vport_get, ifx, name="abi-v0")

# A device moved to another namespace leaves the datapath too.
sh("ip link add abi-m0 type veth peer name abi-m1 && ip netns add abi-ns")
t.run("vport new netdev abi-m0", vport_new, ifx, "abi-m0", vtype=VPORT_TYPE["NETDEV"])
sh("ip link set abi-m0 netns abi-ns")
time.sleep(0.5)
t.expect_errno("device moved to another namespace: port gone", errno.ENODEV, vport_get, ifx, name="abi-m0")
# ... and a device whose namespace is deleted (its veth peer dies with it).
sh("ip link add abi-n0 type veth peer name abi-n1 && ip link set abi-n1 netns abi-ns")
t.run("vport new netdev abi-n0", vport_new, ifx, "abi-n0", vtype=VPORT_TYPE["NETDEV"])
sh("ip netns del abi-ns")
deadline = time.time() + 10
while time.time() < deadline and sh("ip link show abi-n0").returncode == 0:
    time.sleep(0.2)
time.sleep(0.5)
t.expect_errno("peer's namespace deleted: port gone", errno.ENODEV, vport_get, ifx, name="abi-n0")

# Dump, delete.
names = sorted(p.str(VPORT_ATTR["NAME"]) for p in vport_dump(ifx))
t.ok("vport dump", names == ["abi-i1", "abi-i100", "abi-i65534", "abi0"], repr(names))
t.run("vport del", vport_del, ifx, "abi-i100")
t.ok("deleted internal port's device is gone", sh("ip link show abi-i100").returncode != 0)

# ---- 2,000 ports ----------------------------------------------------------------------
start = time.time()
ok = True
for i in range(2000):
    try:
        vport_new(ifx, "p%d" % i)
    except Exception as e:  # noqa: BLE001
        ok = t.ok("2000 ports created", False, "port %d: %r" % (i, e))
        break
if ok:
    t.ok("2000 ports created", True)
    print("# 2000 internal ports created in %.1fs" % (time.time() - start))
mon.notifications(0.1)
n = len(vport_dump(ifx))
t.ok("dump lists 2003 ports", n == 2003, "got %d" % n)
nums = sorted(p.u32(VPORT_ATTR["PORT_NO"]) for p in vport_dump(ifx))
t.ok("port numbers are the lowest free ones", nums[:4] == [0, 1, 2, 3] and 2001 in nums and 65534 in nums)

# ---- netns-local datapath destroyed with its namespace -----------------------------
sh("ip netns add abi-ns2")
r = sh("ip netns exec abi-ns2 ovs-dpctl add-dp nsdp")
t.ok("dp inside a namespace", r.returncode == 0, r.stderr)
r = sh("ip netns del abi-ns2")
time.sleep(1)
t.ok("namespace deleted with its datapath", r.returncode == 0)

# Leave abi0 with its 2,003 ports for rmmod to tear down (checked by vm-run).
mon.close()
nl.close()
sys.exit(t.summary())
