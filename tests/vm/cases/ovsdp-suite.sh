#!/bin/bash
# ovsdp-suite.sh: guest script for tests/vm/vm-run: our openvswitch.ko over
# the upstream ABI (raw netlink cases in dp_vport_abi.py), then Debian's
# unmodified ovs-dpctl against it; flow and key cases run on ours and on the
# kernel's own module in the same boot, with identical results required
# (flow_compare.py); then EXECUTE, flow dumps/GETs and flow, port and
# datapath changes all at once (lock_stress.py). Leaves a datapath with 2,000+ ports behind
# on purpose: vm-run's final rmmod must tear it down cleanly.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"

t_begin "load our openvswitch.ko by path"
if load_ovsdp; then t_pass; else t_fail "insmod failed"; t_summary; exit 1; fi
check "the four OVS genl families are ours" ovs_families_present
check "/sys/module/openvswitch/version" test -s /sys/module/openvswitch/version
load_veth

# Debian's ovs-dpctl, unmodified.
ip link add dv0 type veth peer name dv1
check "ovs-dpctl add-dp" ovs-dpctl add-dp dpx
check "ovs-dpctl add-if veth + internal" ovs-dpctl add-if dpx dv0 dvi,type=internal
check_output "ovs-dpctl show lists both ports" "port 1: dv0.*port 2: dvi \(internal\)" \
	bash -c "ovs-dpctl show dpx 2>/dev/null | tr '\n' ' '"
check_output "ovs-dpctl show -s has port counters" "RX packets:" ovs-dpctl show -s dpx
check "ovs-dpctl del-if" ovs-dpctl del-if dpx dv0
check_fails "ovs-dpctl del-if of a removed port fails" ovs-dpctl del-if dpx dv0
check "ovs-dpctl del-dp" ovs-dpctl del-dp dpx
check_fails "ovs-dpctl show of a deleted datapath fails" ovs-dpctl show dpx
ip link del dv0

# Flows and keys where the kernel's own module is the reference:
# the same cases on ours, then on the stock module, then the two compared.
t_begin "flow/key cases on our module (flow_compare.py)"
if python3 "$HERE/flow_compare.py" --out /tmp/flow-compare-ours.json; then t_pass; else t_fail "see the cases above"; fi
t_begin "switch to the kernel's own openvswitch.ko"
if unload_ovs && load_stock_ovs; then t_pass; else t_fail "could not switch modules"; fi
t_begin "flow/key cases on the kernel's module (flow_compare.py)"
if python3 "$HERE/flow_compare.py" --out /tmp/flow-compare-stock.json; then t_pass; else t_fail "see the cases above"; fi
t_begin "our module and the kernel's agree (flow_compare.py --compare)"
if python3 "$HERE/flow_compare.py" --compare /tmp/flow-compare-ours.json /tmp/flow-compare-stock.json; then
	t_pass
else
	t_fail "see the cases above"
fi
cp /tmp/flow-compare-*.json "$OVSDP_RESULTS/" 2>/dev/null
t_begin "back to our openvswitch.ko"
if unload_ovs && load_ovsdp; then t_pass; else t_fail "could not reload ours"; t_summary; exit 1; fi
check "the four OVS genl families are ours again" ovs_families_present

# Flows: forwarding between namespaces, per-NUMA statistics, used time.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
t_begin "flows and per-NUMA stats (numa_stats.py)"
if python3 "$HERE/numa_stats.py"; then t_pass; else t_fail "see the cases above"; fi

# OVS_PACKET_ATTR_HASH with its type bits in upcalls, restored by EXECUTE.
t_begin "upcall hash and its type bits (packet_hash.py)"
if python3 "$HERE/packet_hash.py" ours; then t_pass; else t_fail "see the cases above"; fi

# Raw netlink: every command and error (Python, one process).
t_begin "dp/vport ABI cases (dp_vport_abi.py)"
if python3 "$HERE/dp_vport_abi.py"; then t_pass; else t_fail "see the cases above"; fi

# Lock contexts under load: EXECUTE floods (RCU, BH off) while flows are
# dumped and read (RCU), added and deleted, and ports and a datapath come
# and go (40 s).
t_begin "lock contexts under load (lock_stress.py)"
if python3 "$HERE/lock_stress.py" 40; then t_pass; else t_fail "see the cases above"; fi

t_summary
