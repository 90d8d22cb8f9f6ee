# vswitchd_ct.sh: sourced by vswitchd.sh (guest) with ovs-vswitchd running
# bridge br0 between ns0 (p0, 192.0.2.1) and ns1 (p1, 192.0.2.2):
# OpenFlow conntrack through unmodified ovs-vswitchd on our datapath.
# - the startup log reports the conntrack features as supported;
# - a stateful firewall in zone 2: connections from ns0 committed with
#   ct_mark 5, packets back allowed only as +est with that mark (matched
#   after recirculation); ns1 cannot open a connection to ns0;
# - ovs-appctl dpctl/ct-set-limits zone=1,limit=3 holds back the fourth of
#   four new UDP connections committed in zone 1, and ct-get-limits counts 3;
# - DNAT (ct(commit,nat(dst=...)) in zone 3) and SNAT (nat(src=...) in zone
#   4): a TCP connection through each, the addresses checked on the far side;
# - ct_label set on commit (zone 5) and matched after recirculation;
# - two zones keeping the same UDP 5-tuple apart (zones 6 and 7, each its
#   own ct_mark, seen with dpctl/dump-conntrack);
# - fragmented UDP over IPv4 and IPv6 through ct(commit,zone=8): the
#   datagrams arrive whole (reassembled in ct, fragmented again on output).

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
	local rx=$! i
	for i in $(seq 100); do ip netns exec ns1 ss -Hlun "sport = :6000" | grep -q . && break; sleep 0.1; done
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

# ---- NAT: DNAT of a virtual address, SNAT behind another one -------------------------
# ns0 reaches VIP 192.0.2.100:80, DNATed to ns1's 192.0.2.2:5001; ns0's
# connections to ns1:5002 leave as 192.0.2.50. Static neighbours stand in
# for ARP answers for the two virtual addresses.
mac0=$(ip netns exec ns0 cat /sys/class/net/eth0/address)
mac1=$(ip netns exec ns1 cat /sys/class/net/eth0/address)
ip netns exec ns0 ip neigh replace 192.0.2.100 lladdr "$mac1" dev eth0
ip netns exec ns1 ip neigh replace 192.0.2.50 lladdr "$mac0" dev eth0
ovs-ofctl del-flows br0
cat >/tmp/ct-nat.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=50,tcp,in_port=p0,nw_dst=192.0.2.100,tp_dst=80,actions=ct(commit,zone=3,nat(dst=192.0.2.2:5001)),NORMAL
table=0,priority=50,tcp,in_port=p1,tp_src=5001,actions=ct(zone=3,nat),NORMAL
table=0,priority=50,tcp,in_port=p0,nw_dst=192.0.2.2,tp_dst=5002,actions=ct(commit,zone=4,nat(src=192.0.2.50)),NORMAL
table=0,priority=50,tcp,in_port=p1,tp_src=5002,actions=ct(zone=4,nat),NORMAL
table=0,priority=10,actions=drop
FLOWS
check "NAT flows (ct(commit,nat(dst=...)) zone 3, ct(commit,nat(src=...)) zone 4)" ovs-ofctl add-flows br0 /tmp/ct-nat.flows
# nat_tcp PORT DST DPORT: a TCP server on ns1's PORT prints the peer and
# local addresses it sees; ns0 connects to DST:DPORT, prints what came back.
nat_tcp() {
	ip netns exec ns1 timeout 15 python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", int(sys.argv[1])))
s.listen(1)
c, a = s.accept()
c.sendall(("%s->%s:%d" % (a[0], c.getsockname()[0], c.getsockname()[1])).encode())
c.close()
' "$1" >/dev/null &
	local srv=$! i
	for i in $(seq 100); do ip netns exec ns1 ss -Hltn "sport = :$1" | grep -q . && break; sleep 0.1; done
	ip netns exec ns0 timeout 10 python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=8)
print("seen by the server:", c.recv(100).decode(), "client:", c.getsockname()[0], "->", c.getpeername()[0])
' "$2" "$3"
	local rc=$?
	wait $srv
	return $rc
}
# (Megaflows are dumped right after each connection: idle ones go within 10 s.)
check_output "DNAT: ns0's connection to 192.0.2.100:80 reaches ns1's 192.0.2.2:5001 from 192.0.2.1" \
	"seen by the server: 192.0.2.1->192.0.2.2:5001 client: 192.0.2.1 -> 192.0.2.100" nat_tcp 5001 192.0.2.100 80
check_output "DNAT: a megaflow with ct(commit,zone=3,nat(dst=...))" "ct\(commit,zone=3,nat\(dst=192.0.2.2:5001\)\)" \
	ovs-appctl dpctl/dump-flows
check_output "SNAT: ns0's connection to ns1:5002 arrives from 192.0.2.50" \
	"seen by the server: 192.0.2.50->192.0.2.2:5002 client: 192.0.2.1 -> 192.0.2.2" nat_tcp 5002 192.0.2.2 5002
check_output "SNAT: a megaflow with ct(commit,zone=4,nat(src=...))" "ct\(commit,zone=4,nat\(src=192.0.2.50\)\)" \
	ovs-appctl dpctl/dump-flows

# ---- ct_label set on commit, matched after recirculation (zone 5) -------------------
ovs-ofctl del-flows br0
cat >/tmp/ct-label.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=50,ip,ct_state=-trk,actions=ct(table=1,zone=5)
table=1,priority=50,ip,in_port=p0,ct_state=+trk+new,actions=ct(commit,zone=5,exec(set_field:0xabcdef0123456789->ct_label)),NORMAL
table=1,priority=50,ip,ct_state=+trk+est,ct_label=0xabcdef0123456789,actions=NORMAL
table=1,priority=10,actions=drop
FLOWS
check "ct_label flows (set on commit, matched in table 1)" ovs-ofctl add-flows br0 /tmp/ct-label.flows
check "ct_label: replies pass only as +est with the committed label" ns_ping ns0 192.0.2.2 3 20
check_output "ct_label: megaflows match ct_label after recirculation" \
	"ct_label\(0xabcdef0123456789" ovs-appctl dpctl/dump-flows

# ---- Two zones keep the same 5-tuple apart (6 and 7) --------------------------------
ovs-ofctl del-flows br0
cat >/tmp/ct-zones.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=50,udp,tp_dst=6200,actions=ct(commit,zone=6,exec(set_field:0x6->ct_mark)),ct(commit,zone=7,exec(set_field:0x7->ct_mark)),NORMAL
FLOWS
check "two-zone flows (one UDP tuple committed in zones 6 and 7)" ovs-ofctl add-flows br0 /tmp/ct-zones.flows
ip netns exec ns0 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 7200))
for _ in range(2):
    s.sendto(b"z", ("192.0.2.2", 6200))
'
check_output "zone 6 holds the tuple with its own mark" "src=192.0.2.1,dst=192.0.2.2,sport=7200,dport=6200.*mark=6" \
	ovs-appctl dpctl/dump-conntrack zone=6
check_output "zone 7 holds the same tuple apart, mark 7" "src=192.0.2.1,dst=192.0.2.2,sport=7200,dport=6200.*mark=7" \
	ovs-appctl dpctl/dump-conntrack zone=7

# ---- Fragmented UDP through ct (zone 8), IPv4 and IPv6 ------------------------------
ovs-ofctl del-flows br0
cat >/tmp/ct-frag.flows <<'FLOWS'
table=0,priority=100,arp,actions=NORMAL
table=0,priority=60,icmp6,actions=NORMAL
table=0,priority=50,ip,actions=ct(commit,zone=8),NORMAL
table=0,priority=50,ipv6,actions=ct(commit,zone=8),NORMAL
FLOWS
check "fragment flows (ct(commit,zone=8) on IPv4 and IPv6)" ovs-ofctl add-flows br0 /tmp/ct-frag.flows
# frag_udp ADDR SRC: a 4000-byte UDP datagram (fragmented by ns0's stack at
# MTU 1500) from SRC to ADDR:6300; ns1 prints its length and whether its
# bytes are the ones sent.
frag_udp() {
	ip netns exec ns1 timeout 10 python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6300))
s.settimeout(8)
d, a = s.recvfrom(65535)
print(len(d), d == bytes(i * 13 % 251 for i in range(4000)))
' "$1" &
	local rx=$! i
	for i in $(seq 100); do ip netns exec ns1 ss -Hlun "sport = :6300" | grep -q . && break; sleep 0.1; done
	ip netns exec ns0 python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 7300))
s.sendto(bytes(i * 13 % 251 for i in range(4000)), (sys.argv[1], 6300))
' "$1" "$2"
	wait $rx
}
check_output "fragmented UDP over IPv4 through ct arrives whole (4000 bytes, the same)" "^4000 True$" \
	frag_udp 192.0.2.2 192.0.2.1
check_output "fragmented UDP over IPv6 through ct arrives whole (4000 bytes, the same)" "^4000 True$" \
	frag_udp 2001:db8::2 2001:db8::1
check_output "the datagrams are tracked in zone 8" "udp,orig=\(src=192.0.2.1,dst=192.0.2.2,sport=7300,dport=6300.*zone=8" \
	ovs-appctl dpctl/dump-conntrack zone=8
ovs-appctl dpctl/dump-flows | grep -E "frag=" | sed 's/^/#   /'
ovs-ofctl del-flows br0
ovs-ofctl add-flow br0 actions=NORMAL
