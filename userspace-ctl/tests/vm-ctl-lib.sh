#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vm-ctl-lib.sh: what vm-ctl-stock.sh and vm-ctl-flows.sh share (sourced by
# both, in the guest): options and the module under test, fresh datapaths and
# veth pairs, recording the tool's steps, reporting the comparison, teardown.
# shellcheck disable=SC2034  # MODE, CTL, OUT, STEPS, DUMPS are the scripts'

# ctl_setup SCRIPT OUTDIR ARGS...: parse [--ovsdp] [--ctl PATH]; find the
# ovsdp-ctl binary; empty $OVSDP_RESULTS/OUTDIR into OUT; load the module
# under test (ours with --ovsdp, else the stock one) and veth; no IPv6 on the
# test links (router solicitations and MLD would add to the counters).
ctl_setup() {
	local script=$1 outdir=$2
	shift 2
	MODE=stock
	CTL=${OVSDP_CTL:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--ovsdp) MODE=ovsdp ;;
		--ctl) CTL=$2; shift ;;
		--ctl=*) CTL=${1#*=} ;;
		*) echo "$script: unknown argument $1" >&2; exit 2 ;;
		esac
		shift
	done
	if [ -z "$CTL" ]; then
		# shellcheck disable=SC2012
		CTL=$(ls -t "$REPO"/build*/userspace-ctl/ovsdp-ctl /work/build*/userspace-ctl/ovsdp-ctl \
			2>/dev/null | head -n 1)
	fi
	[ -n "$CTL" ] && [ -x "$CTL" ] || { echo "$script: no ovsdp-ctl binary (use --ctl)" >&2; exit 2; }
	info "ovsdp-ctl: $CTL"
	info "ovs-dpctl: $(command -v ovs-dpctl) ($(ovs-dpctl --version | head -n 1))"

	OUT=$OVSDP_RESULTS/$outdir
	rm -rf "$OUT"
	mkdir -p "$OUT"

	if [ "$MODE" = ovsdp ]; then
		t_begin "load our openvswitch.ko"
		if load_ovsdp; then t_pass; else t_fail "load_ovsdp failed"; t_summary; exit 1; fi
	else
		t_begin "load the stock openvswitch.ko"
		if load_stock_ovs; then t_pass; else t_fail "load_stock_ovs failed"; t_summary; exit 1; fi
	fi
	load_veth || { t_fail "load veth" "insmod veth failed"; t_summary; exit 1; }
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# ctl_del_dps_and_links N: delete every datapath and the veth0..veth(N-1) pairs.
ctl_del_dps_and_links() {
	local dp i
	for dp in $(ovs-dpctl dump-dps 2>/dev/null); do
		ovs-dpctl del-dp "$dp" 2>/dev/null
	done
	for ((i = 0; i < $1; i++)); do ip link del "veth$i" 2>/dev/null; done
}

# ctl_fresh_links N: no datapaths, new veth pairs veth0..veth(N-1) whose
# peers (vethNp) are up.
ctl_fresh_links() {
	local i
	ctl_del_dps_and_links "$1"
	for ((i = 0; i < $1; i++)); do
		ip link add "veth$i" type veth peer name "veth${i}p" || return 1
		ip link set "veth${i}p" up || return 1
	done
}

# step NAME ARGS...: run the tool under test ($TOOL) with ARGS and keep its
# exit status, output, error output and command line under $OUT/$TOOL_NAME.
STEPS=()
step() {
	local name=$1 d=$OUT/$TOOL_NAME
	shift
	STEPS+=("$name")
	"$TOOL" "$@" >"$d/$name.out" 2>"$d/$name.err"
	echo $? >"$d/$name.rc"
	printf '%s\n' "$*" >"$d/$name.cmd"
}

# run_tool TOOL NAME: the script's reset_state, then its sequence, with TOOL.
run_tool() {
	TOOL=$1
	TOOL_NAME=$2
	mkdir -p "$OUT/$TOOL_NAME"
	STEPS=()
	DUMPS=()
	reset_state || { t_fail "reset state for $TOOL_NAME" "creating veths failed"; return 1; }
	sequence
}

# ctl_report FILE: the comparison's "PASS: name" / "FAIL: name<TAB>why"
# lines as test results; other lines (diff excerpts) are shown as they are.
ctl_report() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS: "*) t_pass "${line#PASS: }" ;;
		"FAIL: "*)
			line=${line#FAIL: }
			t_fail "${line%%$'\t'*}" "${line#*$'\t'}"
			;;
		*) echo "$line" ;;
		esac
	done <"$1"
}

# ctl_finish N: remove datapaths and the N veth pairs, unload the module
# (a leaked reference fails here), print the summary.
ctl_finish() {
	info "transcripts and per-step diffs in $OUT"
	ctl_del_dps_and_links "$1"
	t_begin "unload openvswitch"
	if unload_ovs; then t_pass; else t_fail "rmmod openvswitch failed"; fi
	t_summary
}
