#!/bin/bash
# test-all.sh: every test of ovsdp, from a fresh Debian 12 machine.
#   1. dependencies (apt)
#   2. the kernel module, warning-free
#   3. userspace unit tests under ASan/UBSan (ctest)
#   4. fuzz targets, short deterministic runs (clang, libFuzzer)
#   5. VM tests: harness self-test; our module over raw netlink, flows and
#      per-NUMA stats with ovs-dpctl, EXECUTE floods while flows are dumped,
#      read, added and deleted (lock_stress.py); unmodified ovs-vswitchd running a bridge
#      on it; ovs-dpctl and ovsdp-ctl side by side on our module
#      (datapaths, ports, flows); every action checked on the wire and
#      ovsdp-ctl monitor's upcalls; 100,000 flows installed, dumped (also
#      while flows are added and deleted) and deleted; the kernel's own
#      openvswitch.ko and ours side by side (the kernel's selftest
#      net/openvswitch of Linux 6.12, upcall hashes, OVS's flow action
#      update test); the netlink fuzzer (tests/vm/cases/nlfuzz.sh),
#      2 x 2 minutes: seed 1 and a seed from the clock (printed)
#   6. the same module on Debian's 6.12 (built warning-free for both; the
#      userspace tools and ABI tests against 6.12's <linux/openvswitch.h>):
#      ovsdp-suite, ovs-vswitchd, actions on the wire and ovs-dpctl vs
#      ovsdp-ctl in one boot
#   (the .deb packages have their own test, tests/vm/run-packaging: below)
# Prints one line per stage and, last, "N passed, M failed" over all stages.
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$REPO"
OUT=${OVSDP_TEST_OUT:-$REPO/build/test-logs}
mkdir -p "$OUT"

passed=0
failed=0
stage() {
	local name=$1 t0=$SECONDS rc
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$OUT/$name.log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then
		echo "STAGE PASS: $name ($((SECONDS - t0))s)"
		passed=$((passed + 1))
	else
		echo "STAGE FAIL: $name (exit $rc, $((SECONDS - t0))s; log $OUT/$name.log)"
		failed=$((failed + 1))
	fi
	return "$rc"
}

stage deps bash scripts/install-deps.sh --kernel 6.12 || { echo "0 passed, 1 failed"; exit 1; }
# The release tree only for ovsdp-ctl (the VM stages' --ctl); the unit
# tests run from the ASan build below.
stage module env OVSDP_KERNELS="6.1 6.12" OVSDP_TARGETS=ovsdp-ctl bash scripts/build.sh "$REPO/build/release"

unit() {
	cmake -S "$REPO" -B "$REPO/build/asan" -DOVSDP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
		cmake --build "$REPO/build/asan" -j"$(nproc)" &&
		ctest --test-dir "$REPO/build/asan" --output-on-failure -j2
}
stage unit unit

fuzz() {
	CC=clang CXX=clang++ cmake -S "$REPO" -B "$REPO/build/fuzz" -DOVSDP_FUZZ=ON -DOVSDP_BENCH=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
		cmake --build "$REPO/build/fuzz" -j"$(nproc)" --target fuzzers &&
		ctest --test-dir "$REPO/build/fuzz" --output-on-failure -R '\.smoke$' -j2
}
stage fuzz fuzz

# Userspace against 6.12's <linux/openvswitch.h>: ovsdp-ctl and the tests that
# include it (the ABI constants, ovsdp-ctl's).
uapi612() {
	local k inc
	k=$(scripts/kver.sh 6.12) || return 1
	inc=$(readlink -f "/lib/modules/$k/build")
	inc=${inc%-amd64}-common/include/uapi
	cmake -S "$REPO" -B "$REPO/build/uapi-6.12" -DCMAKE_BUILD_TYPE=Debug -DOVSDP_BENCH=OFF \
		-DOVSDP_UAPI_DIR="$inc" >/dev/null &&
		cmake --build "$REPO/build/uapi-6.12" -j"$(nproc)" --target ovsdp-ctl ovsdp_ctl_unit_tests test_base &&
		"$REPO/build/uapi-6.12/tests/unit/base/test_base" --gtest_brief=1 &&
		ctest --test-dir "$REPO/build/uapi-6.12" -j2 -R '^ctl[.]' --output-on-failure
}
stage uapi-6.12 uapi612

if [ -f "$REPO/openvswitch.ko" ]; then
	stage vm-harness tests/vm/run-selftest
	stage vm-ovsdp-suite tests/vm/vm-run --timeout 900 tests/vm/cases/ovsdp-suite.sh
	stage vm-vswitchd tests/vm/vm-run --timeout 900 tests/vm/cases/vswitchd.sh \
		--ctl "$REPO/build/release/userspace-ctl/ovsdp-ctl"
	stage vm-ctl-compare tests/vm/vm-run --timeout 1200 userspace-ctl/tests/vm-ctl-stock.sh --ovsdp \
		--ctl "$REPO/build/release/userspace-ctl/ovsdp-ctl"
	stage vm-ctl-flows tests/vm/vm-run --timeout 1200 userspace-ctl/tests/vm-ctl-flows.sh --ovsdp \
		--ctl "$REPO/build/release/userspace-ctl/ovsdp-ctl"
	stage vm-actions-wire tests/vm/vm-run --timeout 900 tests/vm/cases/actions-wire.sh \
		--ctl "$REPO/build/release/userspace-ctl/ovsdp-ctl"
	stage vm-flows-scale tests/vm/vm-run --timeout 1500 tests/vm/cases/flows-scale.sh
	stage vm-upstream-compare tests/vm/run-upstream-compare
	stage vm-nlfuzz tests/vm/vm-run --timeout 900 tests/vm/cases/nlfuzz.sh 1:120 time:120
	# Debian's 6.12: the module suites in one boot (the wire and ovsdp-ctl
	# cases run on 6.1 only, to keep the whole run under an hour).
	CTL=$REPO/build/release/userspace-ctl/ovsdp-ctl
	stage vm-6.12 tests/vm/vm-run --kernel 6.12 --timeout 2400 tests/vm/cases/group.sh \
		tests/vm/cases/ovsdp-suite.sh -- tests/vm/cases/vswitchd.sh --ctl "$CTL"
	# The .deb packages (tests/vm/run-packaging) are not a stage: they pass, but
	# cost 6.6 min even with --module-built (no second compile; its guest is
	# DKMS under TCG: dkms install 100-230 s, of which a find over
	# /lib/modules ~40 s and depmod 30-55 s; dkms remove 75-85 s, depmod
	# ~55 s), against about 6 min of headroom in the hour.
else
	echo "STAGE FAIL: vm (no openvswitch.ko)"
	failed=$((failed + 1))
fi

echo "test-all: $passed stages passed, $failed failed (logs in $OUT)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
