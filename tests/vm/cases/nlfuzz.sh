#!/bin/bash
# nlfuzz.sh (guest): the in-VM netlink fuzzer (nlfuzz.py) against our
# openvswitch.ko, one run per SEED:SECONDS spec ("time" as the seed: derived
# from the clock, printed), then the module is unloaded: its leak check
# (allocations still live at unload) warns, which fails the run.
# usage (host): tests/vm/vm-run --timeout 900 tests/vm/cases/nlfuzz.sh 1:90 time:90 [-- NLFUZZ_OPTIONS...]
#   a long run:
#        tests/vm/vm-run --timeout 4000 tests/vm/cases/nlfuzz.sh time:3600
#   replay the datagrams journaled by an earlier run (its out dir, or one file):
#        tests/vm/vm-run tests/vm/cases/nlfuzz.sh replay -- --replay tests/vm/out/run-.../nlfuzz -v
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"

specs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	specs+=("$1")
	shift
done
[ "${1:-}" = -- ] && shift
[ ${#specs[@]} -gt 0 ] || specs=(1:60)

t_begin "load our openvswitch.ko"
if load_ovsdp; then t_pass; else t_fail "insmod failed"; t_summary; exit 1; fi
load_veth
kmsg_mark
for spec in "${specs[@]}"; do
	if [ "$spec" = replay ]; then
		t_begin "nlfuzz replay $*"
		python3 "$HERE/nlfuzz.py" "$@" && t_pass || t_fail "see above"
		continue
	fi
	seed=${spec%%:*}
	secs=${spec#*:}
	[ "$seed" = time ] && seed=$(( $(date +%s) % 1000000 ))
	t_begin "nlfuzz seed $seed, $secs s"
	if python3 "$HERE/nlfuzz.py" --seed "$seed" --duration "$secs" "$@"; then
		t_pass
	else
		t_fail "see above; the last datagrams are in /results/nlfuzz/ (nlfuzz.sh replay -- --replay DIR)"
	fi
done
check_kmsg_clean "no kernel warning, stall or lockup during the runs"
t_begin "unload: no allocation of the module left (its leak check)"
if unload_ovs; then
	if dmesg | grep -q "leak at unload"; then
		t_fail "$(dmesg | grep "leak at unload" | tail -n 1)"
	else
		t_pass
	fi
else
	t_fail "rmmod openvswitch failed"
fi
t_summary
