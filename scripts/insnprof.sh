#!/bin/bash
# insnprof.sh: exact per-function guest instruction counts of a workload,
# from a QEMU TCG plugin (tests/vm/bench/insnprof.c) counting every
# instruction the guest executes in ovsbench's timed pass; -icount, one vCPU,
# both modules in one boot. Unlike profile-vm.sh's samples, the counts do not
# skew to interrupt-enable points.
#   scripts/insnprof.sh [--order stock,ours] upcall [N [BATCH]] [-- insnprof.py options]
#   scripts/insnprof.sh [--order stock,ours] install|delete [NFLOWS] [-- insnprof.py options]
#   scripts/insnprof.sh [--order stock,ours] fwd COUNT M drop|output [random|repeat] [-- ...]
#   scripts/insnprof.sh [--order stock] base COUNT [random|repeat] [-- ...]  (fwd's baseline)
# --no-build: the module already built (build/kmod/KVER) is used as it is.
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$REPO"
order=stock,ours build=1
[ "${1:-}" = --no-build ] && { build=0; shift; }
[ "${1:-}" = --order ] && { order=$2; shift 2; }
guest=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do guest+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ ${#guest[@]} -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
case ${guest[0]} in
upcall) n=${guest[1]:-500} ;;
install | delete) n=${guest[1]:-10000} ;;
fwd | base) n=${guest[1]:?COUNT} ;;
*) echo "insnprof.sh: workloads: upcall, install, delete, fwd, base" >&2; exit 2 ;;
esac
if [ "$build" = 1 ]; then make module KVER="$(bash scripts/kver.sh 6.1)" >/dev/null || exit 1; fi
gcc -O2 -Wall -Wextra -Werror -o tests/vm/bench/ovsbench tests/vm/bench/ovsbench.c || exit 1
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o tests/vm/bench/insnprof.so tests/vm/bench/insnprof.c || exit 1
out=$REPO/build/insnprof/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
tests/vm/vm-run --icount --quiet --timeout 1800 --out "$out" \
	--plugin "$REPO/tests/vm/bench/insnprof.so,out=$out/insnprof" \
	tests/vm/bench/guest-insnprof.sh "$order" "${guest[@]}" || exit 1
echo "run: $out"
python3 tests/vm/bench/insnprof.py "$out" --per "$n" "$@"
