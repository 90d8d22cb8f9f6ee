#!/bin/bash
# packaging.sh DEB_DIR (guest): the packages of scripts/build-debs.sh on the
# guest's kernel, as an administrator installs them (the guest's root is a
# throw-away overlay of the host's, so dpkg and DKMS write only there):
# dpkg -i builds openvswitch.ko with DKMS for the running kernel (signed with
# DKMS's MOK key), `modprobe openvswitch` then loads ovsdp's module, OVS's own
# `ovs-ctl start` runs ovs-vswitchd on it and a bridge forwards; removing the
# packages brings the kernel's module back.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"

DEBS=${1:?usage: packaging.sh DEB_DIR [DKMS_TARBALL]}
# DKMS_TARBALL: the module DKMS built for this kernel on the host
# (tests/vm/run-packaging); without it the package's postinst builds it here.
PREBUILT=${2:-}
VERSION=$(cat "$HERE/../../../VERSION")
OVS_CTL=/usr/share/openvswitch/scripts/ovs-ctl
# The harness blocks modprobe openvswitch; this test is about what it loads.
rm -f /etc/modprobe.d/ovsdp-vm.conf
# DKMS uses bash's <(...), which needs /dev/fd (udev makes it on a real host).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

PKGS=("$DEBS"/ovsdp-dkms_"$VERSION"_all.deb "$DEBS"/ovsdp-ctl_"$VERSION"_amd64.deb)
if [ -n "$PREBUILT" ]; then
	# dpkg -i in two halves, with DKMS's prebuilt module loaded in between.
	check "dpkg --unpack ovsdp-dkms ovsdp-ctl" dpkg --unpack "${PKGS[@]}"
	check_output "dkms ldtarball (the host's DKMS build for $(uname -r))" "built" \
		bash -c "dkms ldtarball --archive '$PREBUILT' && dkms status -m ovsdp"
	t_begin "dpkg --configure: postinst runs dkms install for $(uname -r)"
	install_cmd=(dpkg --configure ovsdp-dkms ovsdp-ctl)
else
	t_begin "dpkg -i ovsdp-dkms ovsdp-ctl (DKMS builds for $(uname -r))"
	install_cmd=(dpkg -i "${PKGS[@]}")
fi
if _t_run "${install_cmd[@]}"; then
	t_pass
else
	t_fail "dpkg -i failed"
	_t_show_out
	cat /var/lib/dkms/ovsdp/"$VERSION"/build/make.log 2>/dev/null | tail -n 20
fi
printf '%s\n' "$T_OUT" | grep -E "^(Building|Signing|Installing|depmod|ovsdp-dkms)|openvswitch.ko" | sed 's/^/#   /'
check_output "dkms status: installed for $(uname -r)" "ovsdp/$VERSION, $(uname -r), x86_64: installed" dkms status
check_output "modinfo -n openvswitch is DKMS's module under updates/" "/updates/dkms/openvswitch\.ko" \
	modinfo -n openvswitch
check_output "the module is signed with DKMS's MOK key" "." modinfo -F signer openvswitch
info "signer: $T_OUT"

check "modprobe openvswitch" modprobe openvswitch
check_output "/sys/module/openvswitch/version is ovsdp's ($VERSION)" "^$VERSION\$" cat /sys/module/openvswitch/version
check_output "ovsdp-ctl --version" "$VERSION" ovsdp-ctl --version

load_veth
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
check "two namespaces" make_two_ns
wait_uptime 10.5
check "ovs-ctl start (ovsdb-server, ovs-vswitchd)" "$OVS_CTL" start --system-id=random
check "ovs-vsctl add-br br0, ports p0 p1" ovs-vsctl --timeout=60 add-br br0 -- add-port br0 p0 -- add-port br0 p1
check "ping through the bridge" ip netns exec ns0 ping -c 3 -i 0.3 -W 3 192.0.2.2
check_output "ovsdp-ctl show: ovs-vswitchd's datapath on our module" "system@ovs-system" ovsdp-ctl show
check_output "ovsdp-ctl dump-flows: its megaflows" "actions:" ovsdp-ctl dump-flows
check "ovs-ctl stop" "$OVS_CTL" stop
check "ovs-dpctl del-dp ovs-system" ovs-dpctl del-dp system@ovs-system
check "modprobe -r openvswitch" modprobe -r openvswitch
# The kernel's tunnel vports need the kernel's openvswitch symbols.
check_fails "modprobe vport-gre fails while ovsdp is installed" modprobe vport-gre
modprobe -r openvswitch 2>/dev/null

check "dpkg -r ovsdp-dkms ovsdp-ctl" dpkg -r ovsdp-dkms ovsdp-ctl
check_fails "no DKMS module left" test -e "/lib/modules/$(uname -r)/updates/dkms/openvswitch.ko"
check_output "modinfo -n openvswitch is the kernel's module again" "/kernel/net/openvswitch/openvswitch\.ko" \
	modinfo -n openvswitch
check "modprobe openvswitch" modprobe openvswitch
check "the kernel's own module is loaded" ovs_module_is "$STOCK_OVS_MODULE"
check "modprobe vport-gre loads with the kernel's module" modprobe vport-gre
check "modprobe -r vport-gre openvswitch" modprobe -r vport-gre openvswitch
t_summary
