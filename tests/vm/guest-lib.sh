# guest-lib.sh: helpers for guest scripts run by tests/vm/vm-run.
# Source it from a bash guest script:
#     . "${OVSDP_GUEST_LIB:-$(dirname "$0")/guest-lib.sh}"
# Everything here runs inside the VM (root, chroot of the host's root).
# shellcheck shell=bash

[ -n "${_OVSDP_GUEST_LIB_LOADED:-}" ] && return 0
_OVSDP_GUEST_LIB_LOADED=1

OVSDP_RESULTS=${OVSDP_RESULTS:-/results}
GUEST_KVER=$(uname -r)
GUEST_MODDIR=/lib/modules/$GUEST_KVER

# ---------------------------------------------------------------------------
# Logging and test cases.  One line per case: "PASS: name", "FAIL: name: why",
# "SKIP: name: why"; t_summary prints "N passed, M failed".
# ---------------------------------------------------------------------------
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_CUR=""
T_FAILED_NAMES=()

info() { echo "# $*"; }
warn() { echo "# warning: $*" >&2; }

# t_begin NAME: start a case (t_pass / t_fail / t_skip end it).
t_begin() { T_CUR=$*; }

# t_pass [NAME]
t_pass() {
	local name=${1:-$T_CUR}
	echo "PASS: $name"
	T_PASSED=$((T_PASSED + 1))
	T_CUR=""
}

# t_fail MSG  (or t_fail NAME MSG when no case was begun)
t_fail() {
	local name=$T_CUR msg
	if [ -z "$name" ] && [ $# -ge 2 ]; then name=$1; shift; fi
	msg=$*
	echo "FAIL: ${name:-unnamed}: ${msg:-failed}"
	T_FAILED=$((T_FAILED + 1))
	T_FAILED_NAMES+=("${name:-unnamed}")
	T_CUR=""
	return 0
}

# t_skip MSG  (or t_skip NAME MSG)
t_skip() {
	local name=$T_CUR
	if [ -z "$name" ] && [ $# -ge 2 ]; then name=$1; shift; fi
	echo "SKIP: ${name:-unnamed}: $*"
	T_SKIPPED=$((T_SKIPPED + 1))
	T_CUR=""
	return 0
}

# Runs "$@", keeping its output in $T_OUT; on failure shows the output's tail.
# (Builtins only around the command: every process start is slow under TCG.)
T_OUT=""
_T_OUTF=/tmp/.guest-lib-out.$$
_t_run() {
	local rc
	"$@" >"$_T_OUTF" 2>&1
	rc=$?
	T_OUT=""
	IFS= read -r -d '' T_OUT <"$_T_OUTF"
	T_OUT=${T_OUT%$'\n'}
	return $rc
}
_t_show_out() {
	[ -n "$T_OUT" ] || return 0
	printf '%s\n' "$T_OUT" | tail -n 15 | sed 's/^/#   /'
}

# check NAME CMD [ARGS...]: one case that passes when CMD exits 0.
check() {
	local name=$1 rc
	shift
	_t_run "$@"
	rc=$?
	if [ $rc = 0 ]; then
		t_pass "$name"
	else
		t_fail "$name" "'$*' exited $rc"
		_t_show_out
	fi
	return $rc
}

# check_fails NAME CMD [ARGS...]: one case that passes when CMD exits non-zero.
check_fails() {
	local name=$1 rc
	shift
	_t_run "$@"
	rc=$?
	if [ $rc != 0 ]; then
		t_pass "$name"
		return 0
	fi
	t_fail "$name" "'$*' succeeded but should have failed"
	_t_show_out
	return 1
}

# check_output NAME REGEX CMD [ARGS...]: CMD exits 0 and its output matches
# the extended REGEX (grep -E).
check_output() {
	local name=$1 re=$2 rc
	shift 2
	_t_run "$@"
	rc=$?
	if [ $rc != 0 ]; then
		t_fail "$name" "'$*' exited $rc"
		_t_show_out
		return 1
	fi
	if ! printf '%s\n' "$T_OUT" | grep -Eq -- "$re"; then
		t_fail "$name" "output of '$*' does not match /$re/"
		_t_show_out
		return 1
	fi
	t_pass "$name"
}

# t_summary: prints "N passed, M failed" (", K skipped" when K > 0) on its own
# line, also into $OVSDP_RESULTS/summary; returns 1 when M > 0.
t_summary() {
	local line="$T_PASSED passed, $T_FAILED failed"
	[ "$T_SKIPPED" -gt 0 ] && line+=", $T_SKIPPED skipped"
	[ "$T_FAILED" -gt 0 ] && info "failed: ${T_FAILED_NAMES[*]}"
	echo "$line"
	[ -d "$OVSDP_RESULTS" ] && echo "$line" >>"$OVSDP_RESULTS/summary" 2>/dev/null
	[ "$T_FAILED" = 0 ]
}

# Kernel log: vm-run fails the whole run on these; check_kmsg_clean pins them
# on a case.  kmsg_mark remembers where the log is; kmsg_since_mark prints
# what came after.
KMSG_BAD='WARNING:|BUG:|Oops|general protection|Call Trace|Kernel panic|rcu: INFO: .*stall|self-detected stall|soft lockup|hung task|blocked for more than'
_KMSG_MARK=0
kmsg_mark() { _KMSG_MARK=$(dmesg | wc -l); }
kmsg_since_mark() { dmesg | tail -n +$((_KMSG_MARK + 1)); }
# check_kmsg_clean NAME: no warning/oops in the kernel log since kmsg_mark.
check_kmsg_clean() {
	local bad
	bad=$(kmsg_since_mark | grep -E "$KMSG_BAD" | head -n 5)
	if [ -z "$bad" ]; then
		t_pass "$1"
	else
		t_fail "$1" "kernel log: $(printf '%s' "$bad" | head -n 1)"
		printf '%s\n' "$bad" | sed 's/^/#   /'
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Time.  $EPOCHREALTIME is a bash builtin: no process start (slow under TCG).
# ---------------------------------------------------------------------------
now_us() { echo "${EPOCHREALTIME/./}"; }
uptime_s() {
	local up _
	read -r up _ </proc/uptime
	echo "$up"
}

# time_cmd_ms N CMD [ARGS...]: runs CMD N times (output discarded), prints the
# mean wall time per run in milliseconds (integer).  Returns CMD's last status.
time_cmd_ms() {
	local n=$1 i t0 t1 rc=0
	shift
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1
		rc=$?
	done
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) / n / 1000))
	return $rc
}

# record KEY VALUE: append "KEY VALUE" to $OVSDP_RESULTS/metrics and print it.
record() {
	info "metric: $1 = $2"
	[ -d "$OVSDP_RESULTS" ] && echo "$1 $2" >>"$OVSDP_RESULTS/metrics" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------------------
# Modules.  modprobe has "install openvswitch /bin/false" in the guest, so the
# kernel's own openvswitch.ko is never autoloaded; these load by path.
# ---------------------------------------------------------------------------
mod_loaded() { [ -d "/sys/module/${1//-/_}" ]; }

# _insmod_path PATH [PARAMS...]: insmod unless a module of that name is loaded.
_insmod_path() {
	local p=$1 n
	shift
	n=$(basename "$p" .ko)
	mod_loaded "$n" && return 0
	insmod "$p" "$@"
}

# The kernel's own openvswitch.ko (6.1 ships .ko files, 6.12 .ko.xz); its
# dependencies are loaded with modprobe (only openvswitch itself is blocked).
STOCK_OVS_MODULE=$(ls "$GUEST_MODDIR"/kernel/net/openvswitch/openvswitch.ko* 2>/dev/null | head -n 1)
STOCK_OVS_MODULE=${STOCK_OVS_MODULE:-$GUEST_MODDIR/kernel/net/openvswitch/openvswitch.ko}

# _mod_id PATH|loaded: an identity for a module file or the loaded openvswitch
# (srcversion when there is one, else the GNU build id).
_mod_id() {
	if [ "$1" = loaded ]; then
		if [ -r /sys/module/openvswitch/srcversion ]; then
			echo "src:$(cat /sys/module/openvswitch/srcversion)"
		elif [ -r /sys/module/openvswitch/notes/.note.gnu.build-id ]; then
			echo "bid:$(od -An -tx1 -v /sys/module/openvswitch/notes/.note.gnu.build-id |
				tr -d ' \n' | tail -c 40)"
		fi
	else
		local v
		v=$(modinfo -F srcversion "$1" 2>/dev/null)
		if [ -n "$v" ] && [ -r /sys/module/openvswitch/srcversion ]; then
			echo "src:$v"
		else
			v=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
			echo "bid:$v"
		fi
	fi
}

# ovs_module_is PATH: the loaded openvswitch module is the one in file PATH.
ovs_module_is() {
	mod_loaded openvswitch || return 1
	[ "$(_mod_id loaded)" = "$(_mod_id "$1")" ]
}

# load_stock_ovs: load the kernel's own openvswitch.ko (with insmod, by path).
load_stock_ovs() {
	local m
	if mod_loaded openvswitch; then
		ovs_module_is "$STOCK_OVS_MODULE" && return 0
		warn "a non-stock openvswitch module is loaded"
		return 1
	fi
	# Optional accelerated crc32c; fine if the CPU model lacks SSE4.2.
	modprobe -q crc32c-intel 2>/dev/null
	for m in $(modinfo -F depends "$STOCK_OVS_MODULE" | tr ',' ' '); do
		mod_loaded "$m" || modprobe "$m" || { warn "modprobe $m failed"; return 1; }
	done
	insmod "$STOCK_OVS_MODULE" || return 1
	mod_loaded openvswitch
}

# load_ovsdp [PATH [PARAMS...]]: load the module under test (default
# $OVSDP_MODULE) by path, after its declared dependencies, and check that the
# loaded openvswitch is that file.
load_ovsdp() {
	local ko=${1:-${OVSDP_MODULE:-}} deps d
	[ $# -gt 0 ] && shift
	if [ -z "$ko" ] || [ ! -f "$ko" ]; then
		warn "load_ovsdp: no module (set --module on vm-run or pass a path): '${ko}'"
		return 1
	fi
	if mod_loaded openvswitch; then
		warn "load_ovsdp: an openvswitch module is already loaded"
		return 1
	fi
	deps=$(modinfo -F depends "$ko" 2>/dev/null)
	for d in ${deps//,/ }; do
		[ "$d" = openvswitch ] && continue
		mod_loaded "$d" || modprobe "$d" || { warn "load_ovsdp: dependency $d failed"; return 1; }
	done
	insmod "$ko" "$@" || return 1
	mod_loaded openvswitch || { warn "load_ovsdp: /sys/module/openvswitch missing after insmod"; return 1; }
	ovs_module_is "$ko" || { warn "load_ovsdp: loaded openvswitch is not $ko"; return 1; }
}

# ovs_families_present: the four OVS generic netlink families are registered.
ovs_families_present() {
	local f
	for f in ovs_datapath ovs_vport ovs_flow ovs_packet; do
		genl ctrl get name "$f" >/dev/null 2>&1 || { warn "genl family $f missing"; return 1; }
	done
}

# unload_ovs: remove openvswitch (and the stock vport-* modules that use it).
unload_ovs() {
	local m i
	for m in vport_geneve vport_gre vport_vxlan; do
		mod_loaded $m && { rmmod $m || return 1; }
	done
	mod_loaded openvswitch || return 0
	for i in 1 2 3 4 5; do
		rmmod openvswitch 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod openvswitch
}

# load_veth: load veth.ko (the kernel could also autoload it).
load_veth() {
	mod_loaded veth || modprobe veth
}

# ---------------------------------------------------------------------------
# Network namespaces and veth pairs.
# ---------------------------------------------------------------------------
_OVSDP_NETNS=()

# ns_add NAME: a new netns with lo up.
ns_add() {
	ip netns add "$1" || return 1
	_OVSDP_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# ns_veth NS IFNAME HOSTIF [ADDR/PREFIX...]: a veth pair with IFNAME inside NS
# (created if missing) and HOSTIF in the root netns, both up; addresses are
# added to IFNAME (IPv6 ones with nodad).
ns_veth() {
	local ns=$1 ifn=$2 host=$3 a
	shift 3
	load_veth || return 1
	[ -e "/run/netns/$ns" ] || ns_add "$ns" || return 1
	ip link add "$host" type veth peer name "$ifn" netns "$ns" || return 1
	ip link set "$host" up || return 1
	ip -n "$ns" link set "$ifn" up || return 1
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$ifn" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$a" dev "$ifn" || return 1 ;;
		esac
	done
}

# veth_pair_ns NS_A IF_A NS_B IF_B: a veth pair joining two netns directly.
veth_pair_ns() {
	load_veth || return 1
	[ -e "/run/netns/$1" ] || ns_add "$1" || return 1
	[ -e "/run/netns/$3" ] || ns_add "$3" || return 1
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# make_two_ns [NS0 NS1]: two netns (default ns0, ns1), each with an eth0
# joined by a veth pair to a root-netns port (p0, p1) that a datapath or a
# bridge can take.  Addresses: ns0 192.0.2.1/24 2001:db8::1/64,
# ns1 192.0.2.2/24 2001:db8::2/64 (documentation ranges; there is no NIC).
make_two_ns() {
	local a=${1:-ns0} b=${2:-ns1}
	ns_veth "$a" eth0 p0 192.0.2.1/24 2001:db8::1/64 || return 1
	ns_veth "$b" eth0 p1 192.0.2.2/24 2001:db8::2/64
}

# ns_ping NS ADDR [COUNT [DEADLINE]]: ping ADDR from netns NS; succeeds when
# a reply came back.  Uses iputils ping when installed, else busybox's.
ns_ping() {
	local ns=$1 addr=$2 count=${3:-3} deadline=${4:-30} fam=-4 p
	case $addr in *:*) fam=-6 ;; esac
	if command -v ping >/dev/null; then p=(ping); else p=(busybox ping); fi
	ip netns exec "$ns" "${p[@]}" "$fam" -c "$count" -i 0.2 -w "$deadline" "$addr"
}

# ns_cleanup: delete the netns made by these helpers (their veths go too).
ns_cleanup() {
	local ns
	for ns in "${_OVSDP_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	_OVSDP_NETNS=()
}

# ---------------------------------------------------------------------------
# Open vSwitch daemons (Debian's openvswitch-switch), all state in tmpfs.
# ---------------------------------------------------------------------------
OVS_RUNDIR=/var/run/openvswitch
OVS_DBDIR=/etc/openvswitch
OVS_LOGDIR=/var/log/openvswitch
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
OVS_TIMEOUT=${OVS_TIMEOUT:-180}

# wait_uptime SECS: sleep until the guest has been up SECS seconds.
wait_uptime() {
	local want=$1 wi wf up _
	wi=${want%%.*}
	wf=0
	[ "$wi" != "$want" ] && wf=${want#*.}00 && wf=${wf:0:2}
	want=$((10#$wi * 100 + 10#$wf))		# centiseconds, like /proc/uptime
	while :; do
		read -r up _ </proc/uptime
		[ $((10#${up/./})) -ge "$want" ] && return 0
		sleep 0.2
	done
}

# start_ovs [VSWITCHD_ARGS...]: ovsdb-server with a fresh database, then
# ovs-vswitchd; returns once vswitchd has applied the database.
start_ovs() {
	mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR" || return 1
	if [ ! -s "$OVS_DBDIR/conf.db" ]; then
		ovsdb-tool create "$OVS_DBDIR/conf.db" "$OVS_SCHEMA" || return 1
	fi
	ovsdb-server "$OVS_DBDIR/conf.db" \
		--remote="punix:$OVS_RUNDIR/db.sock" \
		--remote=db:Open_vSwitch,Open_vSwitch,manager_options \
		--pidfile="$OVS_RUNDIR/ovsdb-server.pid" --detach --no-chdir \
		--log-file="$OVS_LOGDIR/ovsdb-server.log" -vsyslog:off ||
		{ warn "ovsdb-server did not start"; return 1; }
	ovs-vsctl --no-wait --timeout="$OVS_TIMEOUT" init || return 1
	# Debian's OVS 3.1 counts CPUs only once the monotonic clock reads >= 10 s
	# (DESIGN §4): started earlier it runs no upcall handlers.
	wait_uptime 10.5
	ovs-vswitchd "unix:$OVS_RUNDIR/db.sock" \
		--pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --detach --no-chdir \
		--log-file="$OVS_LOGDIR/ovs-vswitchd.log" -vsyslog:off "$@" ||
		{ warn "ovs-vswitchd did not start"; return 1; }
	# Without --no-wait, ovs-vsctl returns once vswitchd has caught up.
	ovs-vsctl --timeout="$OVS_TIMEOUT" set Open_vSwitch . external_ids:ovsdp-vm=up ||
		{ warn "ovs-vswitchd did not apply the database"; return 1; }
}

# _stop_pid NAME: TERM the daemon from its pidfile and wait for it.
_stop_pid() {
	local pf=$OVS_RUNDIR/$1.pid pid i
	[ -s "$pf" ] || return 0
	pid=$(cat "$pf")
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null
}

# stop_ovs [--cleanup]: stop ovs-vswitchd (with --cleanup it deletes its
# datapaths first) and ovsdb-server; copies their logs to $OVSDP_RESULTS/ovs/.
stop_ovs() {
	local rc=0
	if [ -s "$OVS_RUNDIR/ovs-vswitchd.pid" ]; then
		if [ "${1:-}" = --cleanup ]; then
			ovs-appctl -T 60 -t ovs-vswitchd exit --cleanup >/dev/null 2>&1 || rc=1
		else
			ovs-appctl -T 60 -t ovs-vswitchd exit >/dev/null 2>&1 || rc=1
		fi
	fi
	_stop_pid ovs-vswitchd
	_stop_pid ovsdb-server
	if [ -d "$OVSDP_RESULTS" ] && ls "$OVS_LOGDIR"/*.log >/dev/null 2>&1; then
		mkdir -p "$OVSDP_RESULTS/ovs" && cp "$OVS_LOGDIR"/*.log "$OVSDP_RESULTS/ovs/" 2>/dev/null
	fi
	return $rc
}
