#!/bin/bash
# build.sh [BUILD_DIR]: the kernel module (openvswitch.ko) for each kernel
# series in $OVSDP_KERNELS (default "6.1"; "6.1 6.12" for both), each with
# an explicit KVER (the newest installed kernel of the series, scripts/kver.sh)
# into build/kmod/KVER/, and the userspace tree (ovsdp-ctl, tests) with CMake
# (only the targets in $OVSDP_TARGETS when set).
# A warning from a module build (compiler, objtool, modpost, BTF) is an error.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${1:-$REPO/build}
cd "$REPO"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The first series last: ./openvswitch.ko is the last module built.
read -r -a series <<<"${OVSDP_KERNELS:-6.1}"
for ((i = ${#series[@]} - 1; i >= 0; i--)); do
	kver=$(scripts/kver.sh "${series[i]}")
	if ! make module KVER="$kver" >"$log" 2>&1; then
		cat "$log"
		echo "build: module build for $kver failed" >&2
		exit 1
	fi
	if grep -iE "warning|error" "$log" | grep -v "Skipping BTF generation"; then
		echo "build: the module build for $kver printed warnings" >&2
		exit 1
	fi
	echo "build: build/kmod/$kver/openvswitch.ko ($(modinfo -F version "build/kmod/$kver/openvswitch.ko")) built without warnings"
done

# OVSDP_TARGETS: only these CMake targets (the test command builds just
# ovsdp-ctl here: its unit tests run from the ASan build).
targets=()
for t in ${OVSDP_TARGETS:-}; do targets+=(--target "$t"); done
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" "${targets[@]}" 2>&1 | grep -E "warning|error" && { echo "build: userspace warnings" >&2; exit 1; }
echo "build: userspace in $BUILD"
