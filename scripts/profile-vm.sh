#!/bin/bash
# profile-vm.sh: where a module spends its time, sampled in the guest
# (perf record -e cpu-clock, one vCPU) and summarised per function. Shares
# rank functions; they are not exact (docs/BENCHMARKS.md). PROFILE_ICOUNT=1
# boots with -icount (samples then alias with the per-packet loop).
#   scripts/profile-vm.sh ours fwd 32 output        # W(32), output:2
#   scripts/profile-vm.sh stock setup 10000         # flow install + delete
#   scripts/profile-vm.sh ours upcall 2000 1        # miss upcall round trips
# Extra arguments after -- go to tests/vm/bench/perf_summary.py, e.g.
#   scripts/profile-vm.sh ours fwd 32 output -- --under ovsdp_frame_hook --not-under __dev_queue_xmit
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$REPO"
guest=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do guest+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ ${#guest[@]} -ge 2 ] || { sed -n '2,9p' "$0"; exit 2; }
make module KVER="$(bash scripts/kver.sh 6.1)" >/dev/null || exit 1
gcc -O2 -Wall -Wextra -Werror -o tests/vm/bench/ovsbench tests/vm/bench/ovsbench.c || exit 1
out=$REPO/build/profile-vm/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
tests/vm/vm-run ${PROFILE_ICOUNT:+--icount} --smp1 --quiet --timeout 1200 --out "$out" tests/vm/bench/guest-profile.sh "${guest[@]}" || exit 1
comm=kpktgend
[ "${guest[1]}" = setup ] || [ "${guest[1]}" = upcall ] && comm=ovsbench
python3 tests/vm/bench/perf_summary.py --comm "$comm" "$out/perf.script" "$@"
