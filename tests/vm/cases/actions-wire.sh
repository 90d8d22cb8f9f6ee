#!/bin/bash
# actions-wire.sh (guest): every action of the packet path checked on the
# wire, and ovsdp-ctl monitor receiving misses and userspace-action upcalls
# (see actions_wire.py), then ping and TCP through flows installed with
# ovsdp-ctl (forward-ctl.sh), then the amplification budget
# (amplification.py). One boot.
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
# Ping and a TCP transfer through flows set up with ovsdp-ctl alone.
bash "$HERE/forward-ctl.sh" --ctl "$CTL" || rc=1
# The amplification budget: long lists, tiny MRUs, recirculation fan-out.
python3 "$HERE/amplification.py" --ctl "$CTL" || rc=1
# MISS upcalls of a UDP GSO packet, of frames in the skb layouts a tap
# builds (zero-copy or copied packet data), and the keys of frames with odd
# VLAN headers, and the tunnel keys of frames received through collect-md
# vxlan/geneve/gretap devices, the kernel's module first (same boot).
mod_loaded tun || modprobe tun
if unload_ovs && load_stock_ovs && python3 "$HERE/upcall_gso.py" --record /results/gso-stock.json &&
	python3 "$HERE/upcall_zerocopy.py" --record /results/zc-stock.json &&
	python3 "$HERE/upcall_vlan_keys.py" --record /results/vk-stock.json &&
	python3 "$HERE/tunnel_keys.py" --record /results/tk-stock.json &&
	unload_ovs && load_ovsdp; then
	python3 "$HERE/upcall_gso.py" --expect /results/gso-stock.json || rc=1
	python3 "$HERE/upcall_zerocopy.py" --expect /results/zc-stock.json || rc=1
	python3 "$HERE/upcall_vlan_keys.py" --expect /results/vk-stock.json || rc=1
	python3 "$HERE/tunnel_keys.py" --expect /results/tk-stock.json || rc=1
else
	echo "FAIL: UFO/layout/tunnel upcalls: could not record the kernel module's or reload ours"
	rc=1
fi
if kmsg_since_mark | grep -E "WARNING:|BUG:|Oops|Call Trace"; then
	echo "FAIL: kernel messages during the test (above)"
	rc=1
fi
exit $rc
