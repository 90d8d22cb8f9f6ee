#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-core.sh [BUILD_DIR]: the userspace core benchmarks in one command.
# Builds a Release tree without sanitizers (default build/bench-core), runs
#   - key extraction   (bench_flow_extract: ns per packet per packet type)
#   - megaflow lookup  (bench_flow_table: M = 1..512 masks, 16 flows per mask,
#                       hit-uncached / hit-cached / miss; and W(M), the VM
#                       benchmark's workload; ours and upstream mode)
#   - stats update     (stats_bench: N = 1..16 threads updating one flow)
# and prints one summary table; the stats benchmark's own tables follow it.
# Environment: REPS (repetitions, default 3), STATS_SECONDS (per stats run,
# default 0.5). Instruction counts: tests/bench/callgrind-*.sh (see
# docs/BENCHMARKS.md).
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${1:-$REPO/build/bench-core}
REPS=${REPS:-3}
STATS_SECONDS=${STATS_SECONDS:-0.5}

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOVSDP_SANITIZE=OFF -DOVSDP_BENCH=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target bench_flow_extract bench_flow_table stats_bench >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gb() { # <binary> <filter> <csv out>
	"$BUILD/tests/bench/$1" --benchmark_filter="$2" --benchmark_repetitions="$REPS" \
		--benchmark_report_aggregates_only=true --benchmark_format=csv >"$3" 2>/dev/null
}
echo "bench-core: key extraction..." >&2
gb bench_flow_extract 'FlowExtract/' "$out/extract.csv"
echo "bench-core: megaflow lookup..." >&2
gb bench_flow_table 'BM_Lookup/(1|8|32|128|512)/16/|BM_LookupW/' "$out/lookup.csv"
echo "bench-core: stats update..." >&2
"$BUILD/tests/bench/stats_bench" table "$STATS_SECONDS" "$REPS" >"$out/stats.txt"

# Google Benchmark CSV: a header line naming the columns, then one row per
# benchmark; with aggregates (REPS > 1) the medians are "<name>_median", with
# REPS=1 the plain rows are taken. ns per item =
# 1e9 / items_per_second (CPU time; an item is one packet or one lookup).
median_ns() { # <csv> -> "name ns" lines
	awk -F, '/^name,/ { for (i = 1; i <= NF; i++) if ($i == "items_per_second") c = i; next }
		c { n = $1; gsub(/"/, "", n) }
		c && (n ~ /_median$/ || n !~ /_(mean|median|stddev|cv)$/) { sub(/_median$/, "", n); printf "%s %.1f\n", n, 1e9 / $c }' "$1"
}

echo
echo "## Userspace core benchmarks ($(date -u +%Y-%m-%d), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| benchmark | case | result |"
echo "|---|---|---:|"
median_ns "$out/extract.csv" | while read -r name ns; do
	echo "| extract | ${name#FlowExtract/} | $ns ns/packet |"
done
declare -A lk
while read -r name ns; do
	lk[$name]=$ns
done < <(median_ns "$out/lookup.csv")
# Last argument: 0 = ours (mask prefilter), 1 = upstream's ranked linear probing.
for m in 1 8 32 128 512; do
	echo "| lookup | $m masks, 16 flows each: hit-uncached / hit-cached / miss, ours (upstream mode) |" \
		"${lk[BM_Lookup/$m/16/0/0]:-?} (${lk[BM_Lookup/$m/16/0/1]:-?}) /" \
		"${lk[BM_Lookup/$m/16/1/0]:-?} (${lk[BM_Lookup/$m/16/1/1]:-?}) /" \
		"${lk[BM_Lookup/$m/16/2/0]:-?} (${lk[BM_Lookup/$m/16/2/1]:-?}) ns/lookup |"
done
for m in 1 8 32 128 512; do
	echo "| lookup | W($m) (the VM benchmark's workload, random 5-tuples), ours (upstream mode) |" \
		"${lk[BM_LookupW/$m/0]:-?} (${lk[BM_LookupW/$m/1]:-?}) ns/lookup |"
done
# Stats rows: "| design | ns | N=1 | N=2 | N=4 | N=8 | N=16 |" from the first table.
awk -F'|' '/^\| design \| ns\/update/ { on = 1; next } on && /^\|---/ { next }
	on && /^\|/ { gsub(/^ +| +$/, "", $2); gsub(/ /, "", $3);
		printf "| stats update | %s: N=1/2/4/8/16 threads | %s / %s / %s / %s / %s Mupdates/s (1 thread: %s ns) |\n",
			$2, $4, $5, $6, $7, $8, $3; next }
	on { exit }' "$out/stats.txt" | sed 's/  */ /g'
grep -E '^(ratio|projected)' "$out/stats.txt" | sed 's/^\([^:]*\): \(.*\)$/| stats update | \1 | \2 |/'
echo
echo "### Stats update detail (stats_bench table $STATS_SECONDS $REPS)"
echo
cat "$out/stats.txt"
