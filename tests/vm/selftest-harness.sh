#!/bin/bash
# shellcheck disable=SC2016  # awk programs in single quotes
# selftest-harness.sh: guest script that checks the VM harness itself, using
# the kernel's stock openvswitch.ko.  Run it with tests/vm/vm-run, or run all
# modes (with the expected verdicts) through tests/vm/run-selftest.
#
# Modes (first argument):
#   positive (default)  boot, NUMA, no autoload of the stock module, stock
#                       module with ovs-dpctl, netns/veth helpers, and
#                       ovsdb-server + ovs-vswitchd passing a ping; timings.
#   warn                writes "WARNING: ..." to /dev/kmsg, exits 0
#                       (vm-run must fail)
#   kmsg TEXT           writes TEXT to /dev/kmsg, exits 0 (run-selftest uses
#                       an RCU stall and a hung-task line: vm-run must fail)
#   fail [N]            exits N (default 3) (vm-run must exit N)
#   leak                leaves the stock openvswitch in use by vport_gre
#                       (the final rmmod fails, vm-run must fail)
#   hang                sleeps forever (vm-run --timeout must kill it)
# shellcheck disable=SC1090
. "${OVSDP_GUEST_LIB:-$(dirname "$0")/guest-lib.sh}"

mode=${1:-positive}

case $mode in
warn)
	echo "WARNING: ovsdp-vm selftest: this warning must fail the run" >/dev/kmsg
	exit 0 ;;
kmsg)
	echo "$2" >/dev/kmsg
	exit 0 ;;
fail)
	exit "${2:-3}" ;;
leak)
	load_stock_ovs || exit 10
	# vport_gre depends on openvswitch: while it is loaded, rmmod
	# openvswitch fails as it would on a leaked module reference.
	modprobe vport_gre || exit 11
	mod_loaded vport_gre || exit 12
	exit 0 ;;
hang)
	sleep 100000
	exit 0 ;;
positive) ;;
*)
	echo "unknown mode $mode" >&2
	exit 2 ;;
esac

info "kernel $(uname -r), uptime $(uptime_s)s, $(nproc) CPUs, module under test: ${OVSDP_MODULE:-none}"
record boot_to_script_s "$(cat "$OVSDP_RESULTS/boot-time" 2>/dev/null)"

# ---- the environment --------------------------------------------------------
check "kernel is 6.1" test "${GUEST_KVER#6.1.}" != "$GUEST_KVER"
check "results dir writable" touch "$OVSDP_RESULTS/.write-test"
check "tmpfs dirs writable" touch /tmp/x /var/log/x /etc/openvswitch/x /var/lib/openvswitch/x /root/x /run/x
check "root overlay writable" touch /etc/ovsdp-vm-write-test
check "host db hidden" test ! -e /var/lib/openvswitch/conf.db

if [ "${OVSDP_VM_NUMA:-0}" = 1 ]; then
	check "NUMA node1 exists" test -d /sys/devices/system/node/node1
	check "cpu1 is on node1" test -e /sys/devices/system/node/node1/cpu1
	# field 39 of /proc/PID/stat is the CPU the task last ran on
	check_output "taskset -c 1 runs on CPU 1" '^1$' \
		taskset -c 1 awk '{ print $39 }' /proc/self/stat
	check_output "taskset -c 0 runs on CPU 0" '^0$' \
		taskset -c 0 awk '{ print $39 }' /proc/self/stat
else
	t_skip "NUMA" "vm-run without --numa"
fi

# ---- module autoload is blocked; the modprobe wrapper works -----------------
check_fails "modprobe openvswitch is refused" modprobe openvswitch
check_fails "ovs-dpctl without a module fails" ovs-dpctl show
check_fails "stock openvswitch not autoloaded by genl" mod_loaded openvswitch
# request_module("rtnl-link-veth") goes through the initramfs /sbin/modprobe
if ! mod_loaded veth; then
	check "veth autoload via request_module" ip link add va0 type veth peer name vb0
	ip link del va0 2>/dev/null
	check "veth is loaded" mod_loaded veth
else
	t_skip "veth autoload via request_module" "veth already loaded"
fi
check "load_veth" load_veth

# ---- the stock module with ovs-dpctl ----------------------------------------
kmsg_mark
t_begin "load_stock_ovs"
if load_stock_ovs; then t_pass; else t_fail "could not load the stock module"; fi
check "stock module is loaded" ovs_module_is "$STOCK_OVS_MODULE"
check "OVS genl families registered" ovs_families_present
check "make_two_ns" make_two_ns ns0 ns1
check "ovs-dpctl add-dp dp0" ovs-dpctl add-dp dp0
check "ovs-dpctl add-if veth p0" ovs-dpctl add-if dp0 p0
check "ovs-dpctl add-if veth p1" ovs-dpctl add-if dp0 p1
check "ovs-dpctl add-if internal" ovs-dpctl add-if dp0 int0,type=internal
check_output "ovs-dpctl show lists the ports" 'port 3: int0 \(internal\)' ovs-dpctl show dp0
# Forward between the two namespaces with two flows.
check "ovs-dpctl add-flow 1->2" ovs-dpctl add-flow dp0 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
check "ovs-dpctl add-flow 2->1" ovs-dpctl add-flow dp0 'in_port(2),eth(),eth_type(0x0800),ipv4()' 1
check "ovs-dpctl add-flow arp 1->2" ovs-dpctl add-flow dp0 'in_port(1),eth(),eth_type(0x0806),arp()' 2
check "ovs-dpctl add-flow arp 2->1" ovs-dpctl add-flow dp0 'in_port(2),eth(),eth_type(0x0806),arp()' 1
check "ping ns0 -> ns1 through dp0" ns_ping ns0 192.0.2.2 2
check_output "flow stats counted the ping" 'in_port\(1\).*eth_type\(0x0800\).*packets:[1-9]' \
	ovs-dpctl dump-flows dp0

record ovs_dpctl_show_ms "$(time_cmd_ms 10 ovs-dpctl show)"
record ovs_dpctl_dump_flows_ms "$(time_cmd_ms 5 ovs-dpctl dump-flows dp0)"
record exec_true_ms "$(time_cmd_ms 10 /bin/true)"
record ip_link_show_ms "$(time_cmd_ms 5 ip link show)"
record python3_start_ms "$(time_cmd_ms 2 python3 -c pass)"

check "ovs-dpctl del-dp dp0" ovs-dpctl del-dp dp0
check_fails "dp0 is gone" ovs-dpctl show dp0
check "ns_cleanup" ns_cleanup
check_kmsg_clean "no kernel warnings with the stock module"

# ---- ovsdb-server + ovs-vswitchd ---------------------------------------------
t0=$(now_us)
t_begin "start_ovs"
if start_ovs; then t_pass; else t_fail "see $OVS_LOGDIR"; fi
record start_ovs_s "$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }') (includes the wait for 10 s of uptime)"
check "make_two_ns again" make_two_ns ns0 ns1
check "ovs-vsctl add-br br0" ovs-vsctl --timeout=120 add-br br0
check "ovs-vsctl add-port p0 p1" ovs-vsctl --timeout=120 add-port br0 p0 -- add-port br0 p1
check "ping through ovs-vswitchd (NORMAL)" ns_ping ns1 192.0.2.1 3
check "ping6 through ovs-vswitchd" ns_ping ns0 2001:db8::2 2
check_output "vswitchd installed kernel flows" 'actions:' ovs-dpctl dump-flows
check "stop_ovs --cleanup" stop_ovs --cleanup
check_fails "ovs-system datapath removed" ovs-dpctl show ovs-system
ns_cleanup

# ---- unload, reload by path as "the module under test" ------------------------
check "unload_ovs" unload_ovs
check_fails "openvswitch is gone" mod_loaded openvswitch
if [ -n "${OVSDP_MODULE:-}" ] && [ "$OVSDP_MODULE" -ef "$STOCK_OVS_MODULE" ]; then
	check "load_ovsdp (stock module as \$OVSDP_MODULE)" load_ovsdp
	check "OVS genl families registered again" ovs_families_present
	check "unload_ovs again" unload_ovs
else
	t_skip "load_ovsdp" "run with --module $STOCK_OVS_MODULE to test it"
fi
# Leave the stock module loaded: the harness's final cleanup must rmmod it.
check "stock module loaded for the final cleanup" load_stock_ovs

t_summary
