#!/bin/bash
# guest-profile.sh (guest, run by scripts/profile-vm.sh): software-clock
# sampling (perf record -e cpu-clock, call graphs) of one forwarding or
# flow-setup run of one module, resolved in the same boot (the module's
# symbols come from /proc/kallsyms while it is loaded), then summarised by
# tests/vm/bench/perf_summary.py on the host.
#
# usage: guest-profile.sh MODULE(stock|ours) fwd M ACTION [COUNT [TRAFFIC]]
#        guest-profile.sh MODULE setup [NFLOWS]
#        guest-profile.sh MODULE upcall [N [BATCH]]
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
. "$HERE/bench-veths.sh"
MOD=$1
KIND=$2
BIN=$HERE/ovsbench
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
load_veth && modprobe pktgen || exit 1
bench_veths || exit 1
case $MOD in
stock) modprobe --ignore-install openvswitch || exit 1 ;;
ours) load_ovsdp || exit 1 ;;
*) echo "FAIL: module stock or ours"; exit 1 ;;
esac
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
case $KIND in
fwd) set -- fwd "$MOD" veth0 veth1 "${5:-100000}" "$3" "$4" ${6:+"$6"} ;;
setup) set -- setup "$MOD" veth0 veth1 "${3:-10000}" 1 ;;
upcall) set -- upcall "$MOD" veth0 veth1 veth0p veth1p "${3:-2000}" "${4:-1}" ;;
*) echo "FAIL: fwd, setup or upcall"; exit 1 ;;
esac
perf record -e cpu-clock -F "${PERF_FREQ:-3989}" -g -a -o "$OVSDP_RESULTS/perf.data" -- "$BIN" "$@" || exit 1
perf script -i "$OVSDP_RESULTS/perf.data" -F comm,ip,sym >"$OVSDP_RESULTS/perf.script" 2>/dev/null || exit 1
echo "profile: $OVSDP_RESULTS/perf.script"
