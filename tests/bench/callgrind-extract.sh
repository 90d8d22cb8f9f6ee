#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Instructions per flow key extraction, counted by callgrind: runs
# flow_extract_driver with N1 and N2 extractions of each benchmark packet and
# divides the difference of the instruction totals by N2 - N1, so that
# start-up costs cancel out.
#   tests/bench/callgrind-extract.sh [build-dir]   (default /tmp/build-bench)
set -eu
build=${1:-/tmp/build-bench}
driver=$build/tests/bench/flow_extract_driver
[ -x "$driver" ] || { echo "no $driver: build with -DOVSDP_BENCH=ON (and no sanitizers)" >&2; exit 1; }
n1=1000
n2=101000
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$driver" "$1" "$2" 2>&1 >/dev/null \
        | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
printf '%-18s %s\n' packet instructions/packet
for pkt in $("$driver"); do
    a=$(ir "$pkt" $n1)
    b=$(ir "$pkt" $n2)
    printf '%-18s %s\n' "$pkt" "$(awk -v a="$a" -v b="$b" -v n=$((n2 - n1)) 'BEGIN { printf "%.1f", (b - a) / n }')"
done
