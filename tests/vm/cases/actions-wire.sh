#!/bin/bash
# actions-wire.sh (guest): every action of the packet path checked on the
# wire, and ovsdp-ctl monitor receiving misses and userspace-action upcalls
# (see actions_wire.py). One boot, one Python process.
# usage (host): tests/vm/vm-run --timeout 900 tests/vm/cases/actions-wire.sh --ctl PATH
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
CTL=$2
[ "$1" = --ctl ] && [ -x "$CTL" ] || { echo "usage: actions-wire.sh --ctl PATH" >&2; exit 2; }

load_ovsdp || { echo "FAIL: load our openvswitch.ko"; exit 1; }
load_veth
kmsg_mark
python3 "$HERE/actions_wire.py" --ctl "$CTL"
rc=$?
if kmsg_since_mark | grep -E "WARNING:|BUG:|Oops|Call Trace"; then
	echo "FAIL: kernel messages during the test (above)"
	rc=1
fi
exit $rc
