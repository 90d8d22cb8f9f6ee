#!/bin/bash
# ovs-kmod-suite.sh (guest): Open vSwitch's own kernel-datapath testsuite
# (`make check-kernel`: tests/system-kmod-testsuite of Debian's
# openvswitch-source, built by tests/vm/run-ovs-kmod-suite) on the kernel's
# openvswitch.ko and then on ours, in one boot, with a per-test table: a test
# the kernel's module passes must pass on ours.
# usage: ovs-kmod-suite.sh OVS_BUILD_DIR [TESTSUITE ARGS: numbers, -k keywords]
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
B=${1:?usage: ovs-kmod-suite.sh OVS_BUILD_DIR [TESTS...]}
shift
[ -x "$B/tests/system-kmod-testsuite" ] && [ -x "$B/vswitchd/ovs-vswitchd" ] || {
	warn "no built Open vSwitch in $B"
	exit 1
}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
load_veth
# Every test loads openvswitch with modprobe and removes it at exit: modprobe
# loads the module under test (by path, through guest-lib.sh), rmmod removes it.
cat >/tmp/ovs-load.sh <<EOS
#!/bin/bash
. "$HERE/../guest-lib.sh"
if [ "\$(cat /tmp/ovs-which)" = stock ]; then load_stock_ovs; else load_ovsdp; fi
EOS
cat >/tmp/ovs-unload.sh <<EOS
#!/bin/bash
. "$HERE/../guest-lib.sh"
unload_ovs
EOS
chmod +x /tmp/ovs-load.sh /tmp/ovs-unload.sh
{
	echo "install openvswitch /tmp/ovs-load.sh"
	echo "remove openvswitch /tmp/ovs-unload.sh"
} >/etc/modprobe.d/ovsdp-vm.conf
kmsg_mark

declare -A RES
names=()
# "  43: system-traffic.at:1927 datapath - simulated flow action update"
(cd "$B/tests" && ./system-kmod-testsuite -l) >/tmp/kst-list 2>/dev/null
for which in stock ours; do
	echo "$which" >/tmp/ovs-which
	info "$which: Open vSwitch $(ovs-vswitchd --version | head -1 | awk '{print $NF}') system-kmod-testsuite $*"
	# Run where `make check-kernel` runs it (its atconfig/atlocal are there);
	# the guest's root is a writable overlay, so the build tree on the host
	# is never written. Each run's results are kept under /tmp/kst-WHICH.
	rm -rf /tmp/kst-$which
	(cd "$B/tests" && ./system-kmod-testsuite -C "$B/tests" AUTOTEST_PATH="$B/utilities:$B/vswitchd:$B/ovsdb:$B/tests" \
		-j1 "$@" >/tmp/kst-$which.out 2>&1)
	mkdir -p /tmp/kst-$which
	cp "$B/tests/system-kmod-testsuite.log" /tmp/kst-$which/ 2>/dev/null
	cp -r "$B/tests/system-kmod-testsuite.dir" /tmp/kst-$which/ 2>/dev/null
	cp /tmp/kst-$which/system-kmod-testsuite.log "$OVSDP_RESULTS/ovs-kmod-$which.log" 2>/dev/null
	cp -r /tmp/kst-$which/system-kmod-testsuite.dir "$OVSDP_RESULTS/ovs-kmod-$which.dir" 2>/dev/null
	# "  43: datapath - simulated flow action update    ok" (or FAILED/skipped)
	grep -E '^ *[0-9]+: ' /tmp/kst-$which.out >/tmp/kst-$which.lines
	t_begin "$which: the testsuite ran and reported its tests"
	if [ -s /tmp/kst-$which.lines ]; then t_pass; else t_fail "no test results: $(tail -n 5 /tmp/kst-$which.out)"; fi
	while read -r line; do
		n=$(sed -n 's/^ *\([0-9]*\): .*/\1/p' <<<"$line")
		[ -n "$n" ] || continue
		r=$(awk '{print $NF}' <<<"$line")
		case $line in *"ok") r=ok ;; *"FAILED ("*) r=FAILED ;; *"skipped ("*) r=skipped ;; *"expected failure"*) r=xfail ;; esac
		RES[$which,$n]=$r
		[ "$which" = stock ] && names+=("$n|$(sed -n "s/^ *$n: [^ ]* //p" /tmp/kst-list | head -n 1)")
	done </tmp/kst-$which.lines
	mod_loaded openvswitch && unload_ovs
done

printf '#   %-4s %-52s %-8s %-8s %s\n' test name stock ours verdict
for e in "${names[@]}"; do
	n=${e%%|*}
	name=${e#*|}
	s=${RES[stock,$n]:-none}
	o=${RES[ours,$n]:-none}
	verdict=same
	[ "$s" != "$o" ] && verdict="ours $o where stock $s"
	[ "$s" = ok ] && [ "$o" != ok ] && verdict=DIVERGES
	printf '#   %-4s %-52s %-8s %-8s %s\n' "$n" "${name:0:52}" "$s" "$o" "$verdict"
	t_begin "OVS kmod test $n ($name): ours passes what the kernel's module passes"
	if [ "$o" = FAILED ]; then
		info "ours: test $n's log ends:"
		tail -n 12 "/tmp/kst-ours/system-kmod-testsuite.dir/$(printf %02d "$n")/testsuite.log" 2>/dev/null | sed 's/^/#     /'
	fi
	if [ "$verdict" = DIVERGES ]; then t_fail "stock $s, ours $o (logs: ovs-kmod-ours.dir/$n)"; else t_pass; fi
done
check_kmsg_clean "no kernel warning during the suite"
t_summary
