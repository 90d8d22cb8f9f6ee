#!/bin/bash
# demo.sh (guest): a datapath joining two namespaces: flows forward ping
# between them; flows, datapath and port counters are shown.
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
CTL=$2
[ "$1" = --ctl ] && [ -x "$CTL" ] || { echo "usage: demo.sh --ctl PATH" >&2; exit 2; }

run() { echo "\$ $*"; "$@"; }

load_ovsdp || exit 1
load_veth
info "module: $(cat /sys/module/openvswitch/version) from $OVSDP_MODULE"
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# ns1 (10.0.0.1) -- veth -- [dp0] -- veth -- ns2 (10.0.0.2)
for i in 1 2; do
	ip netns add ns$i
	ip link add h$i type veth peer name n$i
	ip link set n$i netns ns$i
	ip -n ns$i addr add 10.0.0.$i/24 dev n$i
	ip -n ns$i link set n$i up
	ip -n ns$i link set lo up
	ip link set h$i up
done

run "$CTL" add-dp dp0 h1 h2 || exit 1
run "$CTL" add-if dp0 int0,type=internal || exit 1
echo "# without flows every packet is a miss (and, with no listener, lost):"
run ip netns exec ns1 ping -c 2 -W 1 10.0.0.2
echo "# megaflows between port 1 and port 2 (ARP and IPv4), with Debian's ovs-dpctl:"
for f in "in_port(1),eth(),eth_type(0x0806),arp() 2" "in_port(2),eth(),eth_type(0x0806),arp() 1" \
	"in_port(1),eth(),eth_type(0x0800),ipv4() 2" "in_port(2),eth(),eth_type(0x0800),ipv4() 1"; do
	run ovs-dpctl add-flow dp0 "${f% *}" "${f##* }" 2>/dev/null
done
run ip netns exec ns1 ping -c 5 -i 0.2 -W 1 10.0.0.2 || exit 1
run ovs-dpctl dump-flows dp0 2>/dev/null
run "$CTL" show -s dp0
run "$CTL" del-dp dp0
