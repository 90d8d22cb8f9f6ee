#!/bin/bash
# bench-vm.sh: the in-VM comparison benchmark (DESIGN §6, tests/vm/bench/README.md).
# Builds our module and the ovsbench client, boots one VM under
# `vm-run --icount` (one vCPU, guest time = instructions), measures the
# kernel's own openvswitch.ko and ours one after the other in that boot, and
# prints the tables (also written to OUT/table.md). The mem part (kernel
# memory per flow, hit from two NUMA nodes) boots a second VM, two nodes.
#
# usage: scripts/bench-vm.sh [--count N] [--masks 1,8,32,128,512] [--actions drop,output,meter]
#                            [--order stock,ours] [--setup-flows N] [--upcalls N]
#                            [--dump-flows N] [--parts fwd,cache,tse,setup,upcall,dump,mem]
#                            [--tse-masks 1,4096,16384] [--tse-stock-count N] [--mem-flows N]
#                            [--out DIR] [--timeout SECS] [--no-build]
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
count=100000 masks=1,8,32,128,512 actions=drop,output,meter order=stock,ours
setup_flows=10000 upcalls=2000 dump_flows=100000 parts=fwd,cache,tse,setup,upcall,dump,mem out="" timeout=2400 build=1
tse_masks=1,4096,16384 tse_stock_count=1000 mem_flows=100000

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--count) count=$2; shift ;;
	--masks) masks=$2; shift ;;
	--actions) actions=$2; shift ;;
	--order) order=$2; shift ;;
	--setup-flows) setup_flows=$2; shift ;;
	--upcalls) upcalls=$2; shift ;;
	--dump-flows) dump_flows=$2; shift ;;
	--parts) parts=$2; shift ;;
	--tse-masks) tse_masks=$2; shift ;;
	--tse-stock-count) tse_stock_count=$2; shift ;;
	--mem-flows) mem_flows=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--no-build) build=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-vm.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

cd "$REPO" || exit 1
if [ $build = 1 ]; then
	make -s module KVER="$(bash scripts/kver.sh 6.1)" >/dev/null || { echo "bench-vm.sh: make module failed" >&2; exit 1; }
	gcc -O2 -Wall -Wextra -Wshadow -Werror -o tests/vm/bench/ovsbench tests/vm/bench/ovsbench.c ||
		{ echo "bench-vm.sh: building ovsbench failed" >&2; exit 1; }
fi
if [ ! -f openvswitch.ko ] || [ ! -x tests/vm/bench/ovsbench ]; then echo "bench-vm.sh: nothing built" >&2; exit 1; fi

# Under /work (the guest sees the host's / read-only; /results is this dir).
[ -n "$out" ] || out=$REPO/build/bench-vm/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

start=$(date +%s)
# Everything but mem in one -icount boot; mem (two CPUs on two nodes) in a
# boot of its own, without icount (it measures bytes, not time).
icount_parts=$(echo ",$parts," | sed 's/,mem,/,/g; s/^,//; s/,$//')
rc=0
if [ -n "$icount_parts" ]; then
	tests/vm/vm-run --icount --quiet --timeout "$timeout" --module "$REPO/openvswitch.ko" --out "$out" \
		tests/vm/bench/guest-bench.sh "$count" "$masks" "$actions" "$order" "$setup_flows" "$upcalls" \
		"$dump_flows" "$icount_parts" "$tse_masks" "$tse_stock_count" "$mem_flows"
	rc=$?
fi
case ",$parts," in
*,mem,*)
	mkdir -p "$out/mem"
	tests/vm/vm-run --numa --mem 2048 --quiet --timeout "$timeout" --module "$REPO/openvswitch.ko" --out "$out/mem" \
		tests/vm/bench/guest-bench.sh "$count" "$masks" "$actions" "$order" "$setup_flows" "$upcalls" \
		"$dump_flows" mem "$tse_masks" "$tse_stock_count" "$mem_flows"
	r=$?
	[ $rc = 0 ] && rc=$r
	grep '^result kind=mem' "$out/mem/bench.txt" >>"$out/bench.txt" 2>/dev/null
	;;
esac
wall=$(($(date +%s) - start))

if [ -s "$out/bench.txt" ]; then
	{
		python3 tests/vm/bench/table.py "$out/bench.txt"
		echo
		echo "Module: $(git -C "$REPO" describe --always --dirty 2>/dev/null) ($(modinfo -F srcversion openvswitch.ko));" \
			"vm-run exit $rc; wall time ${wall} s."
	} >"$out/table.md"
	cat "$out/table.md"
	mkdir -p "$REPO/build/bench-vm" && cp "$out/table.md" "$REPO/build/bench-vm/latest.md"
	echo "bench-vm.sh: results in $out (table.md, bench.txt, console.log)" >&2
fi
[ $rc = 0 ] || echo "bench-vm.sh: vm-run failed (exit $rc); see $out" >&2
exit $rc
