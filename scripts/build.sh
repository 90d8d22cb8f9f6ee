#!/bin/bash
# build.sh [BUILD_DIR]: the kernel module (openvswitch.ko, against Debian's
# 6.1 headers) and the userspace tree (ovsdp-ctl, tests) with CMake.
# A warning from the module build (compiler, objtool, modpost) is an error.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${1:-$REPO/build}
cd "$REPO"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! make module >"$log" 2>&1; then
	cat "$log"
	echo "build: module build failed" >&2
	exit 1
fi
if grep -iE "warning|error" "$log" | grep -v "Skipping BTF generation"; then
	echo "build: the module build printed warnings" >&2
	exit 1
fi
echo "build: openvswitch.ko ($(modinfo -F version openvswitch.ko)) built without warnings"

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" 2>&1 | grep -E "warning|error" && { echo "build: userspace warnings" >&2; exit 1; }
echo "build: userspace in $BUILD"
