#!/bin/bash
# vswitchd.sh (guest): unmodified Debian ovs-vswitchd and ovsdb-server run a
# bridge on our datapath: two namespaces ping each other through the NORMAL
# action (misses go up as upcalls, ovs-vswitchd installs megaflows and sends
# the first packets back with OVS_PACKET_CMD_EXECUTE).
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"

t_begin "load our openvswitch.ko"
if load_ovsdp; then t_pass; else t_fail "insmod failed"; t_summary; exit 1; fi
load_veth
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
check "two namespaces" make_two_ns
check "ovsdb-server and ovs-vswitchd start" start_ovs
check "ovs-vsctl add-br br0" ovs-vsctl --timeout=60 add-br br0
check "ovs-vsctl add-port br0 p0 p1" ovs-vsctl --timeout=60 add-port br0 p0 -- add-port br0 p1
check "ping through the bridge (NORMAL)" ip netns exec ns0 ping -c 5 -i 0.3 -W 3 192.0.2.2
check_output "megaflows installed by ovs-vswitchd" "actions:" ovs-appctl dpctl/dump-flows
ovs-appctl dpctl/dump-flows
ovs-appctl dpctl/show -s
head -c 1000000 /dev/urandom >/tmp/tcp.in
check_output "1 MB over TCP through the bridge" "^1000000$" bash -c \
	"ip netns exec ns1 timeout 30 nc -l -p 5000 >/tmp/tcp.out & sleep 1; ip netns exec ns0 timeout 25 nc -q 1 192.0.2.2 5000 </tmp/tcp.in; wait; cmp /tmp/tcp.in /tmp/tcp.out && stat -c %s /tmp/tcp.out"
info "datapath features ovs-vswitchd probed:"
grep -E "Datapath supports|does not support|Datapath dispatch" "$OVS_LOGDIR/ovs-vswitchd.log" | sed 's/^.*|INFO|/#   /'
cp "$OVS_LOGDIR/ovs-vswitchd.log" "$OVSDP_RESULTS/" 2>/dev/null
check "ovs-vsctl del-br br0" ovs-vsctl --timeout=60 del-br br0
stop_ovs
t_summary
