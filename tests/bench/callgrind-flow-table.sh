#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Instructions per flow table lookup (and per stats update), counted by
# callgrind inside measure_lookups()/measure_stats() only, so that building the
# table and warming the cache are not counted.
#   tests/bench/callgrind-flow-table.sh [build-dir] [flows-per-mask]
#   (defaults /tmp/build-bench and 16)
set -eu
build=${1:-/tmp/build-bench}
fpm=${2:-16}
driver=$build/tests/bench/flow_table_driver
[ -x "$driver" ] || { echo "no $driver: build with -DOVSDP_BENCH=ON (and no sanitizers)" >&2; exit 1; }
ir() { # <function> <n> <driver args...>
    fn=$1
    n=$2
    shift 2
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no --toggle-collect="$fn" \
        "$driver" "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' |
        awk -v n="$n" '{ printf "%.1f", $1 / n }'
}
printf '%-6s %-14s %-14s %-14s\n' masks hit-uncached hit-cached miss
for m in 1 8 32 128 512; do
    # Whole passes over the 1024-packet sets (and 8 over the 128-packet one);
    # fewer where each lookup probes many masks, callgrind being slow.
    k=$((256 / m)); [ "$k" -ge 2 ] || k=2
    n=$((1024 * k))
    printf '%-6s' "$m"
    for t in hit-uncached hit-cached miss; do
        printf ' %-14s' "$(ir measure_lookups $n "$m" "$fpm" "$t" "$n")"
    done
    printf '\n'
done
for node in 0 1; do
    printf 'stats update, node %s: %s instructions/packet\n' "$node" "$(ir measure_stats 100000 stats "$node" 100000)"
done
