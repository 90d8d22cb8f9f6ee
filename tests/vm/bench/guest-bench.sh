#!/bin/bash
# guest-bench.sh (guest, run by scripts/bench-vm.sh through vm-run --icount):
# the kernel's own openvswitch.ko and ours, one after the other in this boot,
# on the same workloads (tests/vm/bench/README.md).  Raw "result ..." lines go
# to stdout and to /results/bench.txt; scripts/bench-table.py makes the table.
#
# usage: guest-bench.sh [COUNT [MASKS [ACTIONS [ORDER [SETUP_FLOWS [UPCALLS [DUMP_FLOWS [PARTS
#                        [TSE_MASKS [TSE_STOCK_COUNT [MEM_FLOWS]]]]]]]]]]]
#   COUNT        pktgen packets per forwarding run (default 200000)
#   MASKS        M values, comma-separated (default 1,8,32,128,512)
#   ACTIONS      drop,output,meter (default all three; meter: meter(1),output(2)
#                through a meter that never drops)
#   ORDER        modules in load order, comma-separated: stock,ours (default)
#   SETUP_FLOWS  flows per install/delete round (default 10000)
#   UPCALLS      miss-upcall round trips per batch size (default 2000)
#   DUMP_FLOWS   flows in the dump benchmark (default 100000)
#   PARTS        which measurements, comma-separated: fwd,cache,tse,setup,upcall,dump,mem
#                (default fwd,setup,upcall,dump; fwd: W(M) with random 5-tuples,
#                cache: W(M) with 64 repeating 5-tuples, tse: T(M), the
#                tuple-space explosion set; each with its own baseline run
#                of the same traffic without a datapath; mem: kernel memory
#                per flow, needs two CPUs, so not under --icount)
#   TSE_MASKS    M values of the tse part (default 1,4096,16384)
#   TSE_STOCK_COUNT  packets per tse run of the stock module at M >= 1024
#                (it probes M/2 masks per packet; default 1000)
#   MEM_FLOWS    flows of the mem part (default 100000)
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
. "$HERE/bench-veths.sh"

COUNT=${1:-200000}
MASKS=${2:-1,8,32,128,512}
ACTIONS=${3:-drop,output,meter}
ORDER=${4:-stock,ours}
SETUP_FLOWS=${5:-10000}
UPCALLS=${6:-2000}
DUMP_FLOWS=${7:-100000}
PARTS=${8:-fwd,setup,upcall,dump}
TSE_MASKS=${9:-1,4096,16384}
TSE_STOCK_COUNT=${10:-1000}
MEM_FLOWS=${11:-100000}
BIN=$HERE/ovsbench
OUT=$OVSDP_RESULTS/bench.txt

[ -x "$BIN" ] || { echo "FAIL: $BIN not built (scripts/bench-vm.sh builds it)"; exit 1; }
[ "${OVSDP_VM_ICOUNT:-0}" = 1 ] || warn "not under --icount: timings follow the host load"

part() { case ",$PARTS," in *,"$1",*) return 0 ;; esac; return 1; }

# ovsbench writes one "result ..." line per measurement; keep them all.
bench() {
	local t0 t1 rc
	t0=$(uptime_s)
	"$BIN" "$@" | tee -a "$OUT"
	rc=${PIPESTATUS[0]}
	t1=$(uptime_s)
	info "ovsbench $1 $2: exit $rc, guest ${t0}s -> ${t1}s"
	return "$rc"
}

# No IPv6 chatter (router solicitations, MLD) on the test ports.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

t_begin "pktgen and veth loaded"
if load_veth && modprobe pktgen && [ -e /proc/net/pktgen/kpktgend_0 ]; then t_pass; else t_fail "no pktgen"; exit 1; fi

# veth0 is datapath port 1 (pktgen injects into its receive path), veth1 is
# port 2 (output), their peers are up and get packets that are for no one
# (dst MAC 02:00:00:00:00:02 is no device's): the peer's stack drops them in
# ip_rcv as PACKET_OTHERHOST.
t_begin "veth pairs"
if bench_veths; then t_pass; else t_fail "ip link failed"; exit 1; fi

: >"$OUT"
echo "meta count=$COUNT masks=$MASKS actions=$ACTIONS order=$ORDER setup_flows=$SETUP_FLOWS upcalls=$UPCALLS dump_flows=$DUMP_FLOWS parts=$PARTS tse_masks=$TSE_MASKS tse_stock_count=$TSE_STOCK_COUNT mem_flows=$MEM_FLOWS icount=${OVSDP_VM_ICOUNT:-0} numa=${OVSDP_VM_NUMA:-0} kernel=$(uname -r)" | tee -a "$OUT"

# The cost of pktgen and of the receive path without any datapath: pktgen's
# packets go up veth0's stack and die in ip_rcv (PACKET_OTHERHOST). One
# baseline per kind of traffic (pktgen's own work differs a little).
baselines() {
	if part fwd; then
		check "baseline$1: pktgen without a datapath, random 5-tuples" bench base none veth0 "$COUNT" random
		printf '%s\n' "$T_OUT"
	fi
	if part cache; then
		check "baseline$1: pktgen without a datapath, 64 repeating 5-tuples" bench base none veth0 "$COUNT" repeat
		printf '%s\n' "$T_OUT"
	fi
	if part tse; then
		check "baseline$1: pktgen without a datapath, tse traffic" bench base none veth0 "$COUNT" tse
		printf '%s\n' "$T_OUT"
	fi
}
baselines ""

# The tuple-space explosion runs: one per M (the stock module's at M >= 1024
# with fewer packets: it probes about M/2 masks per packet). The stock
# module holds at most 4,096 masks: its per-CPU mask usage counters (8 bytes
# per slot) cannot grow past the per-CPU allocator's 32 KiB, so the install
# of the 4,097th mask fails (ENOMEM) with a kernel warning for every flow
# that needs a new mask; it is not run above 4,096.
tse_runs() {
	local mod=$1 m n rc=0
	for m in ${TSE_MASKS//,/ }; do
		n=$COUNT
		if [ "$mod" = stock ] && [ "$m" -gt 4096 ]; then
			echo "meta tse_stock_skipped=$m" | tee -a "$OUT"
			continue
		fi
		[ "$mod" = stock ] && [ "$m" -ge 1024 ] && n=$TSE_STOCK_COUNT
		bench fwd "$mod" veth0 veth1 "$n" "$m" drop tse || rc=1
	done
	return $rc
}

load_module() {
	case $1 in
	stock)
		# modprobe.d says "install openvswitch /bin/false" (vm-run) so that
		# nothing autoloads it; --ignore-install loads it and its
		# dependencies (nsh, nf_conntrack, ...) on purpose.
		modprobe --ignore-install openvswitch || return 1
		ovs_module_is "$STOCK_OVS_MODULE" || { warn "loaded openvswitch is not the stock file"; return 1; }
		;;
	ours)
		load_ovsdp || return 1
		;;
	*) warn "unknown module $1"; return 1 ;;
	esac
	ovs_families_present
}

for mod in ${ORDER//,/ }; do
	info "=== module $mod ==="
	kmsg_mark
	check "$mod: loaded, four families registered" load_module "$mod" || { t_summary; exit 1; }
	info "srcversion $(cat /sys/module/openvswitch/srcversion 2>/dev/null)"
	if part fwd; then
		check "$mod: forwarding runs (pktgen count = n_hit, output = tx)" \
			bench fwd "$mod" veth0 veth1 "$COUNT" "$MASKS" "$ACTIONS"
		printf '%s\n' "$T_OUT"
	fi
	if part cache; then
		check "$mod: forwarding runs, 64 repeating 5-tuples (pktgen count = n_hit, output = tx)" \
			bench fwd "$mod" veth0 veth1 "$COUNT" "$MASKS" "$ACTIONS" repeat
		printf '%s\n' "$T_OUT"
	fi
	if part tse; then
		check "$mod: tuple-space explosion runs, T(M) for M in $TSE_MASKS" tse_runs "$mod"
		printf '%s\n' "$T_OUT"
	fi
	if part mem; then
		check "$mod: kernel memory per flow, $MEM_FLOWS flows hit from two CPUs" \
			bench mem "$mod" veth0 veth1 "$MEM_FLOWS"
		printf '%s\n' "$T_OUT"
	fi
	if part setup; then
		check "$mod: flow install/delete rate" bench setup "$mod" veth0 veth1 "$SETUP_FLOWS" 2
		printf '%s\n' "$T_OUT"
	fi
	if part upcall; then
		check "$mod: miss upcall round trips, one at a time" \
			bench upcall "$mod" veth0 veth1 veth0p veth1p "$UPCALLS" 1
		printf '%s\n' "$T_OUT"
		check "$mod: miss upcalls, batches of 32" \
			bench upcall "$mod" veth0 veth1 veth0p veth1p "$UPCALLS" 32
		printf '%s\n' "$T_OUT"
	fi
	if part dump; then
		check "$mod: dump of $DUMP_FLOWS flows; EXECUTE beside dumps and flow changes" \
			bench dump "$mod" veth0 veth1 "$DUMP_FLOWS" 40000 1000
		printf '%s\n' "$T_OUT"
	fi
	check "$mod: unloaded" unload_ovs
	check_kmsg_clean "$mod: kernel log clean"
done

baselines " again (after both modules)"
echo "meta guest_uptime_end=$(uptime_s)" | tee -a "$OUT"

# After the measurements (so it cannot disturb them): the flows the client
# encodes over netlink are the ones `ovsbench flows M` prints, as the stock
# module and ovs-dpctl dump them back.
wset_dump_check() {
	local m rc=0
	for m in ${MASKS//,/ }; do
		"$BIN" install veth0 veth1 "$m" || return 1
		ovs-dpctl dump-flows ovsbench | sed 's/, packets:.*//' | sort >/tmp/wset-dump.txt
		"$BIN" flows "$m" | sort >/tmp/wset-gen.txt
		if ! cmp -s /tmp/wset-dump.txt /tmp/wset-gen.txt; then
			echo "M=$m: dump-flows differs from 'ovsbench flows $m':"
			diff /tmp/wset-dump.txt /tmp/wset-gen.txt | head -n 6
			rc=1
		fi
		ovs-dpctl del-dp ovsbench || return 1
	done
	return $rc
}
if part fwd; then
	check "stock: loaded again" load_module stock &&
		check "W(M) as installed = W(M) as printed (stock ovs-dpctl dump-flows)" wset_dump_check
	check "stock: unloaded" unload_ovs
fi
t_summary
