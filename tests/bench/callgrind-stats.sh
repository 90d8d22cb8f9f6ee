#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Instructions per flow statistics update for each design of stats_bench,
# counted by callgrind inside its measure_<design>() loop only (one thread,
# BH disabled, under RCU, jiffies frozen so reading it is one load), and the
# instructions of the platform calls within (userspace stand-ins for the kernel's inline
# this_cpu_ptr / smp_processor_id / numa_node_id / jiffies / spin_lock).
#   tests/bench/callgrind-stats.sh [build-dir]   (default build/bench-core)
set -eu
build=${1:-build/bench-core}
bench=$build/tests/bench/stats_bench
[ -x "$bench" ] || { echo "no $bench: build with -DOVSDP_BENCH=ON (and no sanitizers)" >&2; exit 1; }
n=200000
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '| design | instructions/update | of which platform calls |\n|---|---:|---:|\n'
for d in numa numa-combined percpu-lock percpu locked; do
    fn=measure_$(echo "$d" | tr - _)
    valgrind --tool=callgrind --callgrind-out-file="$tmp" --collect-atstart=no --toggle-collect="$fn" \
        "$bench" measure "$d" "$n" >/dev/null 2>&1
    # The measured loop ran n + 1000 updates (1000 to warm up).
    callgrind_annotate "$tmp" 2>/dev/null | awk -v n=$((n + 1000)) -v d="$d" '
        /PROGRAM TOTALS/ { gsub(/,/, "", $1); total = $1 }
        /ovsdp_(this_cpu_ptr|per_cpu_ptr|smp_processor_id|numa_node_id|cpu_to_node|jiffies|spin_lock|spin_unlock)/ { v = $1; gsub(/,/, "", v); plat += v }
        END { printf "| %s | %.1f | %.1f |\n", d, total / n, plat / n }'
done
