#!/bin/bash
# group.sh CASE [ARGS...] [-- CASE [ARGS...]]... (guest): several guest
# scripts in one boot, one after the other, each starting from a clean state
# (no OVS daemons, no test namespaces, no openvswitch module). Prints
# "GROUP PASS: CASE (Ns)" or "GROUP FAIL: CASE (exit N, Ns)" per case and
# exits 1 when any failed. vm-run judges the kernel log once, for all.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"

clean_state() {
	stop_ovs --cleanup >/dev/null 2>&1
	pkill -x ovs-vswitchd 2>/dev/null
	pkill -x ovsdb-server 2>/dev/null
	ip -all netns delete 2>/dev/null
	rm -rf "${OVS_RUNDIR:?}"/* "${OVS_DBDIR:?}"/conf.db 2>/dev/null
	unload_ovs
}

failed=0
run_case() {
	local t0=$SECONDS rc
	[ $# -gt 0 ] || return 0
	echo "=== GROUP: $*"
	bash "$@"
	rc=$?
	if [ $rc = 0 ]; then
		echo "GROUP PASS: $1 ($((SECONDS - t0))s)"
	else
		echo "GROUP FAIL: $1 (exit $rc, $((SECONDS - t0))s)"
		failed=$((failed + 1))
	fi
	clean_state || { echo "GROUP FAIL: cleanup after $1"; failed=$((failed + 1)); }
}

cmd=()
for a in "$@"; do
	if [ "$a" = -- ]; then
		run_case "${cmd[@]}"
		cmd=()
	else
		cmd+=("$a")
	fi
done
run_case "${cmd[@]}"
echo "group: $failed failed"
[ "$failed" = 0 ]
