#!/bin/bash
# guest-insnprof.sh (guest, run by scripts/insnprof.sh under the insnprof QEMU
# plugin): one ovsbench workload per module, in the order given, in one boot.
# ovsbench marks its timed pass (tests/vm/bench/insnprof.c); the plugin
# writes two windows per module (before the pass, the pass). Each module's
# symbols are saved from /proc/kallsyms while it is loaded.
#
# usage: guest-insnprof.sh ORDER(stock,ours|ours|...) upcall [N [BATCH [SETUP_FLOWS]]]
#        guest-insnprof.sh ORDER install|delete [NFLOWS]
#        guest-insnprof.sh ORDER fwd COUNT M ACTION [TRAFFIC]
#        guest-insnprof.sh ORDER base COUNT [TRAFFIC]   (pktgen, no datapath; the
#        module is loaded but unused: the baseline of fwd)
# install/delete: ovsbench setup's second round of NFLOWS flow installs or
# deletes (batches of 50 requests, as bench-vm.sh's setup part).
# SETUP_FLOWS: first install and delete that many flows twice (ovsbench
# setup, unmarked), as bench-vm.sh's setup part does before its upcalls.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
. "$HERE/bench-veths.sh"
ORDER=$1
KIND=$2
BIN=$HERE/ovsbench
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
echo 0 >/proc/sys/kernel/kptr_restrict
load_veth || exit 1
bench_veths || exit 1
: >"$OVSDP_RESULTS/order"
for mod in ${ORDER//,/ }; do
	case $mod in
	stock) modprobe --ignore-install openvswitch || exit 1 ;;
	ours) load_ovsdp || exit 1 ;;
	*) echo "FAIL: module stock or ours"; exit 1 ;;
	esac
	case $KIND in
	upcall)
		if [ -n "${5:-}" ]; then "$BIN" setup "$mod" veth0 veth1 "$5" 2 >/dev/null || exit 1; fi
		"$BIN" upcall "$mod" veth0 veth1 veth0p veth1p "${3:-500}" "${4:-1}" || exit 1 ;;
	fwd)
		modprobe pktgen || exit 1
		OVSBENCH_MARK=fwd "$BIN" fwd "$mod" veth0 veth1 "$3" "$4" "$5" "${6:-random}" >/dev/null || exit 1 ;;
	base)
		modprobe pktgen || exit 1
		OVSBENCH_MARK=base "$BIN" base "$mod" veth0 "$3" "${4:-random}" >/dev/null || exit 1 ;;
	install | delete)
		OVSBENCH_MARK=$KIND "$BIN" setup "$mod" veth0 veth1 "${3:-10000}" 2 >/dev/null || exit 1 ;;
	*) echo "FAIL: workload upcall, install, delete, fwd or base"; exit 1 ;;
	esac
	cp /proc/kallsyms "$OVSDP_RESULTS/kallsyms.$mod" || exit 1
	echo "$mod" >>"$OVSDP_RESULTS/order"
	unload_ovs || exit 1
done
echo "insnprof: windows in $OVSDP_RESULTS"
