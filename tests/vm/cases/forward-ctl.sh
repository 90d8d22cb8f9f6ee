#!/bin/bash
# forward-ctl.sh (guest): two namespaces joined over veth through a datapath
# whose ports and flows are set up with ovsdp-ctl alone: ping and a 4 MB TCP
# transfer pass through the explicit flows, which count them; with the flows
# deleted the traffic stops. Sourced by actions-wire.sh (same boot) or run on
# its own: tests/vm/vm-run tests/vm/cases/forward-ctl.sh --ctl PATH
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
CTL=$2
[ "$1" = --ctl ] && [ -x "$CTL" ] || { echo "usage: forward-ctl.sh --ctl PATH" >&2; exit 2; }
[ -e /sys/module/openvswitch ] || load_ovsdp || { echo "FAIL: load our openvswitch.ko"; exit 1; }
load_veth

# fw1 (10.9.0.1) -- veth -- [fwd0] -- veth -- fw2 (10.9.0.2)
t_begin "namespaces and the datapath (ovsdp-ctl add-dp with both ports)"
ok=1
for i in 1 2; do
	ip netns add fw$i && ip link add fwh$i type veth peer name fwn$i &&
		ip link set fwn$i netns fw$i && ip -n fw$i addr add 10.9.0.$i/24 dev fwn$i &&
		ip -n fw$i link set fwn$i up && ip -n fw$i link set lo up && ip link set fwh$i up || ok=0
done
[ $ok = 1 ] && "$CTL" add-dp fwd0 fwh1 fwh2 && t_pass || t_fail "setup failed"

flows() {
	local f
	for f in "in_port(1),eth(),eth_type(0x0806),arp() 2" "in_port(2),eth(),eth_type(0x0806),arp() 1" \
		"in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp() 2" \
		"in_port(2),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp() 1" \
		"in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0) 2" \
		"in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0) 1"; do
		"$CTL" "$1" fwd0 "${f% *}" ${2:+"${f##* }"} || { echo "# $CTL $1 fwd0 '${f% *}' failed"; return 1; }
	done
}
check "ovsdp-ctl add-flow: ARP, ICMP and TCP megaflows both ways" flows add-flow out
check "ping through the flows" ip netns exec fw1 ping -c 3 -i 0.2 -W 2 10.9.0.2

t_begin "4 MB over TCP through the flows, byte-exact"
head -c 4194304 /dev/urandom >/tmp/fw-in
ip netns exec fw2 timeout 60 sh -c 'nc -l -N 10.9.0.2 5001 >/tmp/fw-out' &
srv=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	ip netns exec fw2 ss -ltn 2>/dev/null | grep -q ':5001' && break
	sleep 0.2
done
ip netns exec fw1 timeout 60 nc -N -w 20 10.9.0.2 5001 </tmp/fw-in
wait $srv
if cmp -s /tmp/fw-in /tmp/fw-out; then t_pass; else t_fail "received $(stat -c %s /tmp/fw-out 2>/dev/null) bytes, differ"; fi

t_begin "the TCP flows counted the transfer (dump-flows)"
dump=$("$CTL" dump-flows fwd0)
echo "$dump"
tcp_pkts=$(echo "$dump" | grep 'in_port(1).*proto=6' | sed -n 's/.*packets:\([0-9]*\).*/\1/p')
tcp_bytes=$(echo "$dump" | grep 'in_port(1).*proto=6' | sed -n 's/.*bytes:\([0-9]*\).*/\1/p')
if [ "${tcp_pkts:-0}" -gt 100 ] && [ "${tcp_bytes:-0}" -gt 4194304 ]; then t_pass; else
	t_fail "in_port(1) TCP flow: packets ${tcp_pkts:-none}, bytes ${tcp_bytes:-none}"; fi

check "ovsdp-ctl del-flows" "$CTL" del-flows fwd0
t_begin "without flows ping fails (misses, nobody listening)"
if ip netns exec fw1 ping -c 2 -i 0.2 -W 1 10.9.0.2 >/dev/null; then t_fail "ping still passed"; else t_pass; fi
check "ovsdp-ctl del-dp" "$CTL" del-dp fwd0
ip netns del fw1; ip netns del fw2
rm -f /tmp/fw-in /tmp/fw-out
t_summary
