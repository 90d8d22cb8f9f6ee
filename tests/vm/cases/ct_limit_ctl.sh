#!/bin/bash
# ct_limit_ctl.sh TOOL OUT (guest): ovs-dpctl's conntrack limit commands
# through TOOL (ovs-dpctl or ovsdp-ctl) on the loaded module, each command's
# output, errors (the program's name as "DPCTL") and exit status into OUT.
# A datapath ctl0 exists for the commands' datapath argument. Zones 11
# and 12 have no connections (counts do not depend on timeouts). vswitchd.sh
# compares Debian's ovs-dpctl on the kernel's module and on ours with
# ovsdp-ctl on ours.
tool=$1 out=$2
: >"$out"
run() {
	local rc
	printf '$ ct %s\n' "$*" >>"$out"
	"$tool" "$@" >>"$out" 2>/tmp/ctl-err; rc=$?
	sed "s/^$(basename "$tool"):/DPCTL:/" /tmp/ctl-err >>"$out"
	echo "rc=$rc" >>"$out"
}
run ct-get-limits
run ct-set-limits default=10 zone=11,limit=3 zone=12,limit=5
run ct-get-limits
run ct-get-limits zone=12,7
run ct-get-limits system@ctl0 zone=11
run ct-set-limits zone=11
run ct-set-limits default=x
run ct-set-limits zone=11,limit=4,foo=3
run ct-set-limits zone=70000,limit=1
run ct-set-limits limit=9,zone=513 zone=3,limit=1
run ct-get-limits
run ct-del-limits zone=12
run ct-del-limits foo
run ct-del-limits zone=a
run ct-del-limits zone=11,,513
run ct-get-limits
run ct-set-limits default=0
run ct-del-limits zone=3
run ct-get-limits
