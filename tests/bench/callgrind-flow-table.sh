#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Instructions per flow table lookup (and per stats update), counted by
# callgrind inside measure_lookups()/measure_stats() only, so that building the
# table and warming the cache are not counted. Each lookup row: ours (mask
# prefilter on), then upstream mode (prefilter off: ranked linear probing),
# "instructions (masks probed per lookup)".
#   tests/bench/callgrind-flow-table.sh [build-dir] [flows-per-mask] [what]
#   (defaults /tmp/build-bench, 16, all; what: w, classbench, churn, stats or all)
set -eu
build=${1:-/tmp/build-bench}
fpm=${2:-16}
what=${3:-all}
driver=$build/tests/bench/flow_table_driver
[ -x "$driver" ] || { echo "no $driver: build with -DOVSDP_BENCH=ON (and no sanitizers)" >&2; exit 1; }
ir() { # <function> <n> <driver args...>: "instructions/n (masks/lookup)"
    fn=$1
    n=$2
    shift 2
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no --toggle-collect="$fn" \
        "$driver" "$@" 2>&1)
    ins=$(printf '%s\n' "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    masks=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9.]*\) masks\/lookup.*/\1/p')
    if [ -n "$masks" ]; then
        awk -v i="$ins" -v n="$n" -v m="$masks" 'BEGIN { printf "%.1f (%s)", i / n, m }'
    else
        awk -v i="$ins" -v n="$n" 'BEGIN { printf "%.1f", i / n }'
    fi
}
if [ "$what" = all ] || [ "$what" = w ]; then
    printf '%-6s %-18s %-18s\n' W-masks ours upstream
    for m in 1 8 32 128 512; do
        n=16384
        [ "$m" -lt 512 ] || n=8192
        printf '%-7s %-18s %-18s\n' "$m" "$(ir measure_lookups $n w "$m" $n)" "$(ir measure_lookups $n --upstream w "$m" $n)"
    done
fi
if [ "$what" = all ] || [ "$what" = classbench ]; then
    printf '%-6s %-14s %-18s %-18s\n' masks traffic ours upstream
    for m in 1 8 32 128 512; do
        # Whole passes over the 1024-packet sets (and 8 over the 128-packet one);
        # fewer where each lookup probes many masks, callgrind being slow.
        k=$((256 / m)); [ "$k" -ge 2 ] || k=2
        n=$((1024 * k))
        for t in hit-uncached hit-cached miss; do
            printf '%-6s %-14s %-18s %-18s\n' "$m" "$t" "$(ir measure_lookups $n "$m" "$fpm" "$t" "$n")" \
                "$(ir measure_lookups $n --upstream "$m" "$fpm" "$t" "$n")"
        done
    done
fi
if [ "$what" = all ] || [ "$what" = stats ]; then
    for node in 0 1; do
        printf 'stats update, node %s: %s instructions/packet\n' "$node" "$(ir measure_stats 100000 stats "$node" 100000)"
    done
fi
if [ "$what" = all ] || [ "$what" = churn ]; then
    # Insert and remove cost per flow: 100,000 flows over 128 installed masks,
    # and over 512 masks created and deleted by the flows themselves.
    printf '%-22s %-10s %-16s %-16s\n' churn op ours upstream
    for args in "128 100000" "512 100000 fresh"; do
        for fn in measure_insert measure_remove; do
            # shellcheck disable=SC2086
            printf '%-22s %-10s %-16s %-16s\n' "$args" "${fn#measure_}" "$(ir $fn 100000 churn $args)" \
                "$(ir $fn 100000 --upstream churn $args)"
        done
    done
fi
