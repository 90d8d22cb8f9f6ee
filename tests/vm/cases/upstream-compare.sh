#!/bin/bash
# upstream-compare.sh (guest): the same checks against the kernel's own
# openvswitch.ko and then ours, in one boot, where "as upstream" is the
# verdict:
#   - the kernel's selftest tools/testing/selftests/net/openvswitch
#     (openvswitch.sh + ovs-dpctl.py of Linux 6.12, from Debian's
#     linux-source-6.12; tests/vm/run-upstream-compare extracts it), every
#     test, with a table: a test the kernel's module passes must pass on ours;
#   - OVS_PACKET_ATTR_HASH in upcalls and EXECUTE (packet_hash.py);
#   - OVS's "simulated flow action update" steps with ovs-vswitchd
#     (action_update.sh).
# Usage: upstream-compare.sh SELFTEST_DIR [TEST...]  (default, or "all": every
# test of the selftest)
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
. "$HERE/action_update.sh"
SELFTEST=${1:?usage: upstream-compare.sh SELFTEST_DIR [TEST...|all]}
shift
# The selftest runs python3 and expects Debian's (python3-pyroute2).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The selftest's tests (its $tests list), each run on its own with a time
# limit: a hung one (nat_connect_v4's last nc can wait for ever on Debian's
# netcat-openbsd) must not stall the rest. Under TCG a test takes 1-4
# minutes. Every test is in the default list now that the conntrack ones
# (ct(), ct(commit), nat() over the kernel's nf_conntrack) pass on ours too;
# "all" is kept as a name for the same list.
ALL_TESTS="arp_ping ct_connect_v4 connect_v4 nat_connect_v4 nat_related_v4 netlink_checks
	upcall_interfaces drop_reason psample"
# Tests allowed to fail on ours where the kernel's module passes: none.
CT_TESTS=""
if [ $# -gt 0 ] && [ "$1" != all ]; then
	SELFTESTS="$*"
else
	SELFTESTS=$ALL_TESTS
fi
SELFTEST_TIMEOUT=${SELFTEST_TIMEOUT:-420}

load_veth
# Debian's python3-pyroute2 0.7.2 reports its version as "unknown", which
# ovs-dpctl.py's version check cannot parse.
mkdir -p /tmp/pyshim
cat >/tmp/pyshim/sitecustomize.py <<'EOF'
import pyroute2
if not str(pyroute2.__version__)[:1].isdigit():
    pyroute2.__version__ = "0.7.2"
EOF

declare -A RESULT
run_module() {
	local which=$1 name desc verdict
	t_begin "load the $which openvswitch.ko"
	if [ "$which" = stock ]; then load_stock_ovs; else load_ovsdp; fi || { t_fail "load failed"; return 1; }
	t_pass

	t_begin "$which: OVS_PACKET_ATTR_HASH (packet_hash.py)"
	if python3 "$HERE/packet_hash.py" "$which"; then t_pass; else t_fail "see the cases above"; fi

	rm -rf /tmp/kst && cp -r "$SELFTEST" /tmp/kst || return 1
	info "$which: kernel selftest openvswitch.sh, one run per test (log: /results/selftest-$which.log)"
	: >"$OVSDP_RESULTS/selftest-$which.log"
	for name in $SELFTESTS; do
		# "TEST: <name> [START]" then "TEST: <description> [ OK ]|[FAIL]|[SKIP]".
		RESULT[$which,$name]=TIMEOUT
		(cd /tmp/kst && PYTHONPATH=/tmp/pyshim KSFT_MACHINE_SLOW=yes timeout -k 5 "$SELFTEST_TIMEOUT" \
			bash ./openvswitch.sh -v "$name" >/tmp/kst.out 2>&1)
		cat /tmp/kst.out >>"$OVSDP_RESULTS/selftest-$which.log"
		grep -q "\[ OK \]$" /tmp/kst.out && RESULT[$which,$name]=OK
		grep -q "\[FAIL\]$" /tmp/kst.out && RESULT[$which,$name]=FAIL
		grep -q "\[SKIP\]$" /tmp/kst.out && RESULT[$which,$name]=SKIP
		info "$which: $name ${RESULT[$which,$name]}"
		# A test killed by the time limit leaves its namespaces, the processes
		# it started in them, and its datapath.
		for ns in $(ip netns list | awk '{print $1}'); do
			ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
			ip netns delete "$ns"
		done
		for dp in $(ovs-dpctl dump-dps 2>/dev/null); do ovs-dpctl del-dp "$dp"; done
	done

	start_ovs || { t_fail "$which: ovs-vswitchd"; return 1; }
	action_update_check "$which"
	stop_ovs --cleanup
	rm -f "$OVS_DBDIR/conf.db"
	t_begin "unload the $which openvswitch.ko"
	if unload_ovs; then t_pass; else t_fail "rmmod failed"; fi
}

run_module stock
run_module ours

info "kernel selftest (Linux 6.12 tools/testing/selftests/net/openvswitch), per test:"
printf '#   %-20s %-6s %-6s %s\n' test stock ours verdict
for name in $SELFTESTS; do
	s=${RESULT[stock,$name]:-none}
	o=${RESULT[ours,$name]:-none}
	if [ "$s" != OK ] || [ "$o" = OK ]; then
		verdict=same
		[ "$s" != "$o" ] && verdict="ours $o where stock $s"
	elif [[ " $CT_TESTS " == *" $name "* ]]; then
		verdict="allowed to differ"
	else
		verdict=DIVERGES
	fi
	printf '#   %-20s %-6s %-6s %s\n' "$name" "$s" "$o" "$verdict"
	record "selftest_${name}" "stock=$s ours=$o"
	t_begin "selftest $name: ours passes what the kernel's module passes"
	case $verdict in
	DIVERGES) t_fail "stock $s, ours $o (log: selftest-ours.log)" ;;
	allowed*) t_skip "$verdict" ;;
	*) t_pass ;;
	esac
done
t_summary
