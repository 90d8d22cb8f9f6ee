# vswitchd_ct.sh: sourced by vswitchd.sh (guest) with ovs-vswitchd running
# bridge br0 between ns0 (p0, 192.0.2.1) and ns1 (p1, 192.0.2.2):
# OpenFlow conntrack through unmodified ovs-vswitchd on our datapath.
# - the startup log reports the conntrack features as supported;
# - a stateful firewall in zone 2: connections from ns0 committed with
#   ct_mark 5, packets back allowed only as +est with that mark (matched
#   after recirculation); ns1 cannot open a connection to ns0;
# - ovs-appctl dpctl/ct-set-limits zone=1,limit=3 holds back the fourth of
#   four new UDP connections committed in zone 1, and ct-get-limits counts 3.

ct_log=$OVS_LOGDIR/ovs-vswitchd.log
for f in "ct_state" "ct_zone" "ct_mark" "ct_label" "ct_state_nat" "ct_orig_tuple" "ct_orig_tuple6" \
	"eventmask in conntrack action" "timeout policy in conntrack action" "ct_clear action"; do
	check_output "ovs-vswitchd: datapath supports $f" "Datapath supports $f\$" cat "$ct_log"
done

ovs-ofctl del-flows br0
cat >/tmp/ct-fw.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=50,ip,ct_state=-trk,actions=ct(table=1,zone=2)
table=1,priority=50,ip,in_port=p0,ct_state=+trk+new,actions=ct(commit,zone=2,exec(set_field:0x5->ct_mark)),NORMAL
table=1,priority=50,ip,ct_state=+trk+est,ct_mark=0x5,actions=NORMAL
table=1,priority=10,actions=drop
FLOWS
check "stateful firewall flows (ct, ct_state, ct_mark, zone 2)" ovs-ofctl add-flows br0 /tmp/ct-fw.flows
check "firewall: ns0 opens a connection to ns1 (+new committed, +est back with ct_mark 5)" \
	ns_ping ns0 192.0.2.2 3 20
check "firewall: ns1 cannot open one to ns0 (+new from p1 dropped)" \
	sh -c "! ip netns exec ns1 ping -c 3 -i 0.3 -W 1 192.0.2.1"
check_output "firewall: megaflows match ct_state and ct_mark after recirculation" \
	"ct_state\(.*ct_mark\(0x5" ovs-appctl dpctl/dump-flows

# Zone limits: four new UDP connections from ns0 to ns1:6000, each
# committed in zone 1 through ct(commit,zone=1).
ovs-ofctl del-flows br0
cat >/tmp/ct-limit.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=50,udp,actions=ct(commit,zone=1),NORMAL
FLOWS
check "zone 1 commit flows" ovs-ofctl add-flows br0 /tmp/ct-limit.flows
check "ovs-appctl dpctl/ct-set-limits zone=1,limit=3" ovs-appctl dpctl/ct-set-limits zone=1,limit=3
ct_udp_count() {
	ip netns exec ns1 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 6000))
s.settimeout(0.5)
srcs = set()
t_end = time.time() + 8
while time.time() < t_end:
    try:
        _, a = s.recvfrom(100)
        srcs.add(a[1])
    except socket.timeout:
        pass
print(len(srcs))
' >/tmp/ct-udp-count &
	local rx=$!
	sleep 1
	ip netns exec ns0 python3 -c '
import socket, time
for port in (7001, 7002, 7003, 7004):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    for _ in range(3):
        s.sendto(b"x", ("192.0.2.2", 6000))
        time.sleep(0.3)
'
	wait $rx
	cat /tmp/ct-udp-count
}
check_output "zone 1 limit 3: three of four new UDP connections get through" "^3$" ct_udp_count
# The dropped connection may count until nf_conncount's next gc of the list.
check_output "ovs-appctl dpctl/ct-get-limits zone=1: limit 3, count 3 (4 before conncount's gc)" "zone=1,limit=3,count=[34]" \
	ovs-appctl dpctl/ct-get-limits zone=1
check "ovs-appctl dpctl/ct-del-limits zone=1" ovs-appctl dpctl/ct-del-limits zone=1
ovs-ofctl del-flows br0
ovs-ofctl add-flow br0 actions=NORMAL
