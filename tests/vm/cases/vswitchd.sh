#!/bin/bash
# vswitchd.sh (guest): unmodified Debian ovs-vswitchd and ovsdb-server run a
# bridge on our datapath: two namespaces ping each other through the NORMAL
# action (misses go up as upcalls, ovs-vswitchd installs megaflows and sends
# the first packets back with OVS_PACKET_CMD_EXECUTE). Meters: the ovs_meter
# family against the kernel's module in the same boot (meter_abi.py; the
# ovs_ct_limit family likewise, ct_limit_abi.py, and ovs-dpctl's and
# ovsdp-ctl's ct-*-limits commands, ct_limit_ctl.sh; ct after EXECUTE,
# ct_refind.py; IP fragments through ct, ct_frag.py), then
# OpenFlow 1.3 meters through ovs-vswitchd limiting UDP floods
# (meter_flood.py) in packets and in kilobits per second; OpenFlow
# conntrack (vswitchd_ct.sh).
# usage (host): tests/vm/vm-run --timeout 600 tests/vm/cases/vswitchd.sh [--ctl PATH]
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$HERE/../guest-lib.sh"
CTL=
[ "${1:-}" = --ctl ] && CTL=$2

t_begin "ovs_meter and ovs_ct_limit cases on the kernel's module (meter_abi.py, ct_limit_abi.py --record)"
if load_stock_ovs && python3 "$HERE/meter_abi.py" --record /tmp/meter-stock.json &&
	python3 "$HERE/ct_limit_abi.py" --record /tmp/ct-limit-stock.json &&
	ovs-dpctl add-dp ctl0 && bash "$HERE/ct_limit_ctl.sh" ovs-dpctl /tmp/ctl-stock.txt &&
	ovs-dpctl del-dp ctl0 && python3 "$HERE/ct_refind.py" /tmp/refind-stock.json 40000 &&
	load_veth && python3 "$HERE/ct_frag.py" /tmp/frag-stock.json 42000 && unload_ovs; then
	t_pass
else
	t_fail "could not record the kernel module's meter or ct_limit replies"
	unload_ovs
fi
t_begin "load our openvswitch.ko"
if load_ovsdp; then t_pass; else t_fail "insmod failed"; t_summary; exit 1; fi
t_begin "ovs_meter cases on ours, as the kernel's module (meter_abi.py --expect)"
if python3 "$HERE/meter_abi.py" --expect /tmp/meter-stock.json; then t_pass; else t_fail "see the cases above"; fi
t_begin "ovs_ct_limit cases on ours, as the kernel's module (ct_limit_abi.py --expect)"
if python3 "$HERE/ct_limit_abi.py" --expect /tmp/ct-limit-stock.json; then t_pass; else t_fail "see the cases above"; fi
# Zone limits are per namespace, and go with it (no warning, no leak: the
# harness checks the log and rmmod at the end).
ip netns add ctlim
check_output "a namespace's zone limits are its own" "1c000100ffffffff0500000000000000090000000200000000000000" \
	ip netns exec ctlim python3 "$HERE/ct_limit_abi.py" --netns
check_output "init_net's limits untouched by it" "'10000100ffffffff0000000000000000'" python3 "$HERE/ct_limit_abi.py" --get
check "the namespace with zone limits deleted" ip netns del ctlim
# ovs-dpctl's ct-set-limits, ct-get-limits, ct-del-limits on ours, and
# ovsdp-ctl's, each as ovs-dpctl's on the kernel's module.
ovs-dpctl add-dp ctl0
bash "$HERE/ct_limit_ctl.sh" ovs-dpctl /tmp/ctl-ours.txt
[ -n "$CTL" ] && bash "$HERE/ct_limit_ctl.sh" "$CTL" /tmp/ctl-ovsdp.txt
ovs-dpctl del-dp ctl0
check "ovs-dpctl ct-set/get/del-limits on ours as on the kernel's module" diff /tmp/ctl-stock.txt /tmp/ctl-ours.txt
if [ -n "$CTL" ]; then
	check "ovsdp-ctl ct-set/get/del-limits as ovs-dpctl" diff /tmp/ctl-stock.txt /tmp/ctl-ovsdp.txt
fi
# Packets back from userspace (EXECUTE) find their connection again, NATed
# ones by the inverted tuple, and keep their key's state (ct_refind.py).
check "ct after EXECUTE: connections found again as by the kernel's module" \
	sh -c "python3 '$HERE/ct_refind.py' /tmp/refind-ours.json 41000 && diff /tmp/refind-stock.json /tmp/refind-ours.json"
# IP fragments through ct: reassembled, stolen until complete, the datagram
# with its MRU in the upcall and fragmented again on output (ct_frag.py).
check "ct on IPv4 and IPv6 fragments as the kernel's module (reassembly, MRU, refragmentation)" \
	sh -c "python3 '$HERE/ct_frag.py' /tmp/frag-ours.json 42100 && diff /tmp/frag-stock.json /tmp/frag-ours.json"
load_veth
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
check "two namespaces" make_two_ns
check "ovsdb-server and ovs-vswitchd start" start_ovs
check "ovs-vsctl add-br br0" ovs-vsctl --timeout=60 add-br br0
check "ovs-vsctl add-port br0 p0 p1" ovs-vsctl --timeout=60 add-port br0 p0 -- add-port br0 p1
check "ping through the bridge (NORMAL)" ip netns exec ns0 ping -c 5 -i 0.3 -W 3 192.0.2.2
check_output "megaflows installed by ovs-vswitchd" "actions:" ovs-appctl dpctl/dump-flows
# IPv6 (the namespaces keep it): upcall keys and dumps carry
# OVS_KEY_ATTR_IPV6_EXTHDRS, which OVS 3.1 does not know (it skips it in
# upcalls and prints key32(...) in dumps, as with the kernel's module).
check "ping6 through the bridge (NORMAL)" ns_ping ns0 2001:db8::2 3 20
check_output "IPv6 megaflows dumped with the extension header bits" "eth_type\(0x86dd\).*key32\(" \
	ovs-appctl dpctl/dump-flows
ovs-appctl dpctl/dump-flows
ovs-appctl dpctl/show -s
head -c 1000000 /dev/urandom >/tmp/tcp.in
check_output "1 MB over TCP through the bridge" "^1000000$" bash -c \
	"ip netns exec ns1 timeout 30 nc -l -p 5000 >/tmp/tcp.out & for i in \$(seq 100); do ip netns exec ns1 ss -Hltn 'sport = :5000' | grep -q . && break; sleep 0.1; done; ip netns exec ns0 timeout 25 nc -q 1 192.0.2.2 5000 </tmp/tcp.in; wait; cmp /tmp/tcp.in /tmp/tcp.out && stat -c %s /tmp/tcp.out"
info "datapath features ovs-vswitchd probed:"
grep -E "Datapath supports|does not support|Datapath dispatch" "$OVS_LOGDIR/ovs-vswitchd.log" | sed 's/^.*|INFO|/#   /'

# ---- Meters through ovs-vswitchd --------------------------------------------------
# OVS 3.1 looks the ovs_meter family up and probes it (SET, GET, DEL of ids
# 54545401/2); either failure is logged and disables meters.
t_begin "ovs-vswitchd found working meters (no 'does not support meters', no 'broken meter')"
if grep -E "does not support meters|broken meter" "$OVS_LOGDIR/ovs-vswitchd.log"; then
	t_fail "see the log lines above"
else
	t_pass
fi
check_output "meter-features: max_meter above 0, drop bands" "max_meter:[1-9].*band_types: drop" \
	bash -c "ovs-ofctl -O OpenFlow13 meter-features br0 | tr '\n' ' '"
# Megaflows idle 60 s before they go (default 10 s): the checks after a
# flood look at its megaflow, and a loaded host runs them slowly.
ovs-vsctl set Open_vSwitch . other_config:max-idle=60000
P1=$(ovs-vsctl get Interface p1 ofport)
check "add-meter br0 meter=1,pktps,band=type=drop,rate=100" \
	ovs-ofctl -O OpenFlow13 add-meter br0 meter=1,pktps,band=type=drop,rate=100
check "add-meter br0 meter=2,kbps,band=type=drop,rate=800" \
	ovs-ofctl -O OpenFlow13 add-meter br0 meter=2,kbps,band=type=drop,rate=800
check "flows: UDP to 5001 through meter:1, to 5002 through meter:2, 5003 unmetered" bash -c "
	ovs-ofctl -O OpenFlow13 add-flow br0 priority=100,udp,nw_dst=192.0.2.2,tp_dst=5001,actions=meter:1,output:$P1 &&
	ovs-ofctl -O OpenFlow13 add-flow br0 priority=100,udp,nw_dst=192.0.2.2,tp_dst=5002,actions=meter:2,output:$P1 &&
	ovs-ofctl -O OpenFlow13 add-flow br0 priority=100,udp,nw_dst=192.0.2.2,tp_dst=5003,actions=output:$P1"
# in_window JSON KEY LO HI: the flood's KEY lies in [LO, HI].
in_window() {
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=d[sys.argv[2]]; print(sys.argv[2], v)
sys.exit(0 if float(sys.argv[3]) <= v <= float(sys.argv[4]) else 1)' "$@"
}
# meter_stat METER FIELD: a number from ovs-ofctl meter-stats.
meter_stat() {
	ovs-ofctl -O OpenFlow13 meter-stats br0 meter="$1" | tr ' ' '\n' | sed -n "s/^$2://p" | head -1
}
info "UDP flood through meter 1 (100 packets/s): 300 packets/s for 8 s, counted at the receiver"
pk=$(python3 "$HERE/meter_flood.py" 5001 300 8 18 2) && info "$pk"
check "meter 1: the receiver gets 100 packets/s (within 10 %) after the burst" in_window "$pk" window_pps 90 110
record meter_pktps_received_pps "$(in_window "$pk" window_pps 0 1e9 | cut -d' ' -f2)"
# While the flood's megaflow lives.
check_output "megaflows carry the meter action" "actions:meter\([0-9]+\)" ovs-appctl dpctl/dump-flows
if [ -n "$CTL" ]; then
	"$CTL" dump-meters ovs-system
	check_output "ovsdp-ctl dump-meters: both meters with their bands" \
		"pktps.*drop rate:100 burst:100.*kbps.*drop rate:800 burst:800|kbps.*drop rate:800 burst:800.*pktps.*drop rate:100 burst:100" \
		bash -c "'$CTL' dump-meters ovs-system | tr '\n' ' '"
	check_output "ovsdp-ctl dump-flows prints the meter action" "actions:meter\([0-9]+\)," "$CTL" dump-flows ovs-system
fi
ovs-ofctl -O OpenFlow13 meter-stats br0
sent=$(in_window "$pk" sent 0 1e9 | cut -d' ' -f2)
rcvd=$(in_window "$pk" received 0 1e9 | cut -d' ' -f2)
check "meter-stats 1: packet_in_count counts every packet sent ($sent)" \
	test "$(meter_stat 1 packet_in_count)" = "$sent"
check "meter-stats 1: the drop band counts every packet not received ($((sent - rcvd)))" \
	test "$(meter_stat 1 packet_count)" = "$((sent - rcvd))"
info "UDP flood through meter 2 (800 kbit/s = 100,000 bytes/s): 300 frames/s of 1,000 bytes for 8 s"
kb=$(python3 "$HERE/meter_flood.py" 5002 300 8 958 2) && info "$kb"
check "meter 2: the receiver gets 100,000 bytes/s (within 10 %) after the burst" in_window "$kb" window_Bps 90000 110000
record meter_kbps_received_Bps "$(in_window "$kb" window_Bps 0 1e12 | cut -d' ' -f2)"
sent=$(in_window "$kb" sent 0 1e9 | cut -d' ' -f2)
rcvd=$(in_window "$kb" received 0 1e9 | cut -d' ' -f2)
check "meter-stats 2: packet_in_count $sent, the drop band $((sent - rcvd))" \
	test "$(meter_stat 2 packet_in_count) $(meter_stat 2 packet_count)" = "$sent $((sent - rcvd))"
info "unmetered UDP to 5003: 300 packets/s for 4 s"
un=$(python3 "$HERE/meter_flood.py" 5003 300 4 18 1) && info "$un"
check "the unmetered flow is untouched (every packet received)" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["received"] == d["sent"] else 1)' "$un"
check "del-meter br0 meter=1" ovs-ofctl -O OpenFlow13 del-meter br0 meter=1

# OpenFlow conntrack: the startup probes, a stateful firewall with ct_mark,
# zone limits held by ovs-appctl dpctl/ct-set-limits.
. "$HERE/vswitchd_ct.sh"
cp "$OVS_LOGDIR/ovs-vswitchd.log" "$OVSDP_RESULTS/" 2>/dev/null
check "ovs-vsctl del-br br0" ovs-vsctl --timeout=60 del-br br0
stop_ovs
t_summary
