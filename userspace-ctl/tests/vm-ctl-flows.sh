#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vm-ctl-flows.sh: guest script for tests/vm/vm-run.  Compares ovsdp-ctl's flow
# commands with Debian's ovs-dpctl 3.1.
#
#  1. With ovs-dpctl, installs a set of flows covering every key attribute
#     and common action, sends some traffic, then dumps the flow table with
#     both tools (plain, -m, -m --no-names, --names, filter=...): the text must
#     be the same.
#  2. Runs the same sequence (adds, error cases, mod-flow, get-flow, del-flow,
#     del-flows...) with ovsdp-ctl; every step (exit status, standard output,
#     standard error without OVS log lines and with the program name
#     normalised) must match ovs-dpctl's, and ovs-dpctl must dump the flows
#     that ovsdp-ctl added with the same text as those it added itself.
#
# Flow dumps differ between runs only in flow order (the kernel's flow hash
# is seeded per table) and in "used:" times: dumps taken by two tools from
# the same table are compared as is, dumps from the two runs sorted, and
# "used:N.NNNs" becomes "used:T" everywhere.
#
# usage (on the host):
#   tests/vm/vm-run [--timeout 900] userspace-ctl/tests/vm-ctl-flows.sh [--ovsdp] [--ctl PATH]
#     --ctl PATH  the ovsdp-ctl binary (default: $OVSDP_CTL, else the newest
#                 build*/userspace-ctl/ovsdp-ctl under the repo or /work; not under /tmp)
#     --ovsdp     test against our module ($OVSDP_MODULE, vm-run --module)
#                 instead of the kernel's stock openvswitch.ko; flows the
#                 module refuses (conntrack) are then expected to fail alike
# Results: PASS/FAIL per step, transcripts and diffs in /results/ctl-flows/.
# shellcheck disable=SC2317

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "${OVSDP_GUEST_LIB:-$REPO/tests/vm/guest-lib.sh}"
. "$HERE/vm-ctl-lib.sh"

ctl_setup vm-ctl-flows.sh ctl-flows "$@"

reset_state() {
	ctl_fresh_links 2 || return 1
	ovs-dpctl add-dp dp0 veth0 veth1 2>/dev/null
}

# Sends COUNT TCP SYNs (to port 80), UDP datagrams (to port 53) and ARP
# requests out of IFACE into its veth peer, which is a datapath port.
send_traffic() {
	python3 - "$@" <<'PY'
import socket, struct, sys
ifname, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
eth = b"\x00\x0a\x0b\x0c\x0d\x0e" + b"\x00\x01\x02\x03\x04\x05"
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def ip(proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
tcp = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, 0x50, 0x02, 1024, 0, 0)
udp = struct.pack("!HHHH", 5353, 53, 12, 0) + b"abcd"
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x00\x01\x02\x03\x04\x05",
                  bytes([10, 0, 0, 1]), b"\0" * 6, bytes([10, 0, 0, 2]))
for _ in range(count):
    s.send(eth + b"\x08\x00" + ip(6, tcp))
    s.send(eth + b"\x08\x00" + ip(17, udp))
    s.send(b"\xff" * 6 + b"\x00\x01\x02\x03\x04\x05" + b"\x08\x06" + arp)
PY
}

# The flows: key and actions, in ovs-dpctl's syntax.  Each is added by the
# tool under test.
FLOWS=(
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)' '2'
	'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.0/255.255.255.0,proto=17,frag=no),udp(dst=53)' '2,1'
	'in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00),eth_type(0x0806),arp(op=1)' 'push_vlan(vid=5,pcp=3),2'
	'in_port(2),eth(src=00:00:00:00:00:01,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(src=10.1.0.1,proto=6,tos=0x4/0xfc,ttl=64,frag=no),tcp(src=1/0xff00,dst=443),tcp_flags(+syn-ack)' 'set(ipv4(src=1.2.3.4)),1'
	'in_port(2),eth(),eth_type(0x0800),ipv4(frag=later)' 'set(eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)),1'
	'in_port(2),eth(),eth_type(0x0800),ipv4(proto=1,frag=first),icmp(type=8,code=0)' 'userspace(pid=99,userdata(01020304),actions),1'
	'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=67,dst=68)' 'userspace(pid=7)'
	'in_port(2),eth(),eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::/ffff:ffff::,label=0x12345,proto=17,tclass=0x10,hlimit=64,frag=no),udp(src=53)' 'recirc(5)'
	'skb_priority(0x5),skb_mark(0x10/0xf0),recirc_id(0),dp_hash(0x1/0xf),in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58),icmpv6(type=135,code=0),nd(target=2001:db8::2,sll=00:00:00:00:00:07)' ''
	'in_port(2),eth(src=00:00:00:00:00:01/ff:ff:ff:00:00:00),eth_type(0x8100),vlan(vid=10,pcp=2),encap(eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:03,tha=00:00:00:00:00:00))' 'pop_vlan,sample(sample=50.0%,actions(1)),clone(2,pop_vlan)'
	'in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)' 'trunc(100),1'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(src=1/0xff00)' 'set(sctp(dst=80))'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4789)' 'set(tunnel(tun_id=0x5,dst=1.1.1.1,ttl=64,tp_dst=4789,flags(df|key))),1'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4791)' 'set(ipv4(src=1.2.3.4,dst=5.6.7.8,proto=17,tos=0,ttl=9,frag=no)),set(skb_mark(0x5)),set(skb_priority(0x3/0xff))'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4795)' 'check_pkt_len(size=200,gt(1),le(2))'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4796)' 'set(udp(src=1,dst=2)),meter(1),2'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5001)' 'userspace(pid=3,slow_path(lacp|action))'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5002)' 'userspace(pid=3,controller(reason=1,dont_send=0,continuation=1,recirc_id=5,rule_cookie=0xabc,controller_id=2,max_len=128)),2'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5003)' 'userspace(pid=3,flow_sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3,output_port=2,egress))'
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=5004)' 'userspace(pid=3,sFlow(vid=5,pcp=2,output=7)),userspace(pid=4,ipfix(output_port=2),actions)'
	'ufid:11111111-2222-3333-4444-555555555555,in_port(2),eth(),eth_type(0x0806),arp(op=2)' '1'
	'in_port(veth1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=22),tcp_flags(0x2/0x12)' '1'
)
if [ "$MODE" = stock ]; then
	FLOWS+=('in_port(1),ct_state(+trk),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4799)' 'ct(commit),1')
fi

# dump NAME ARGS...: the same dump by both tools from the same table; both
# are kept (as NAME@ovs-dpctl, NAME@ovsdp-ctl) and compared later.
DUMPS=()
dump() {
	local name=$1 d=$OUT/$TOOL_NAME t
	shift
	DUMPS+=("$name")
	for t in ovs-dpctl ovsdp-ctl; do
		if [ $t = ovs-dpctl ]; then ovs-dpctl "$@"; else "$CTL" "$@"; fi \
			>"$d/$name@$t.out" 2>"$d/$name@$t.err"
		echo $? >"$d/$name@$t.rc"
	done
	printf '%s\n' "$*" >"$d/$name.cmd"
}

sequence() {
	local i n=0
	for ((i = 0; i < ${#FLOWS[@]}; i += 2)); do
		n=$((n + 1))
		step "$(printf 'add-%02d' $n)" add-flow "${FLOWS[i]}" "${FLOWS[i + 1]}"
	done
	step add-dp-arg add-flow dp0 'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=9999)' '1'
	step add-system-dp-arg add-flow system@dp0 'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=9998)' '1'
	step add-exists add-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)' '2'
	step add-bad-key add-flow 'in_port(1),bogus(1)' '1'
	step add-bad-tcp-flags add-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6),tcp(),tcp_flags(syn|ack/syn)' '1'
	step add-bad-port-name add-flow 'in_port(nosuch),eth()' '1'
	step add-bad-action add-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=1)' 'bogus'
	step add-kernel-rejects add-flow 'in_port(1)' '1'
	step add-l3-missing add-flow 'in_port(2),eth(),eth_type(0x0806)' '1'
	step add-nosuch-dp add-flow nosuch 'in_port(1)' '1'
	step add-too-few add-flow 'in_port(1)'
	send_traffic veth0p 3
	send_traffic veth1p 2
	sleep 0.2
	dump dump dump-flows
	dump dump-dp dump-flows dp0
	dump dump-m -m dump-flows
	dump dump-m-no-names -m --no-names dump-flows
	dump dump-names --names dump-flows
	dump dump-filter-port dump-flows 'filter=in_port=1'
	dump dump-filter-ip dump-flows 'filter=ip,nw_src=10.0.0.1'
	dump dump-filter-arp dump-flows 'filter=arp'
	dump dump-filter-tcp dump-flows 'filter=tcp,tp_dst=80'
	dump dump-filter-bad dump-flows 'filter=bogus'
	dump dump-type dump-flows 'type=ovs'
	dump dump-extra-args dump-flows dp0 x y
	dump get-ufid get-flow ufid:11111111-2222-3333-4444-555555555555
	dump get-ufid-m -m get-flow dp0 ufid:11111111-2222-3333-4444-555555555555
	dump get-ufid-missing get-flow ufid:11111111-2222-3333-4444-000000000000
	step mod-actions mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)' '1'
	step mod-stats -s mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4791)' '2'
	step mod-clear -s --clear mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.0/255.255.255.0,proto=17,frag=no),udp(dst=53)' '1'
	step mod-missing mod-flow 'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=1234)' '1'
	step mod-may-create --may-create mod-flow 'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=1234)' '1'
	step add-stats -s add-flow 'in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=1235)' '1'
	dump dump-after-mod dump-flows
	step del-flow del-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4791)'
	step del-flow-stats -s del-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.0/255.255.255.0,proto=17,frag=no),udp(dst=53)'
	step del-flow-missing del-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4791)'
	step del-flow-ufid del-flow ufid:11111111-2222-3333-4444-555555555555
	step del-flow-ufid-missing del-flow ufid:11111111-2222-3333-4444-555555555555
	step del-flow-bad del-flow 'bogus'
	dump dump-after-del dump-flows
	ovs-dpctl add-dp dp1 2>/dev/null
	step add-two-dps add-flow 'in_port(1)' '1'
	step dump-two-dps dump-flows
	step del-flows-two-dps del-flows
	step del-flows-dp1 del-flows dp1
	ovs-dpctl del-dp dp1 2>/dev/null
	step del-flows del-flows
	dump dump-empty dump-flows
	# Flows files (all lines valid: ovs-dpctl exits 0 even when some fail).
	printf '%s\n' '# flows' \
		'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=7) 2' \
		'add in_port(2),eth(),eth_type(0x0806),arp(op=1)  1' >/tmp/flows-add.txt
	printf '%s\n' 'modify in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=7) 1' \
		'delete in_port(2),eth(),eth_type(0x0806),arp(op=1)' >/tmp/flows-mod.txt
	step add-flows-file add-flows /tmp/flows-add.txt
	dump dump-flows-file dump-flows
	step mod-flows-file mod-flows dp0 /tmp/flows-mod.txt
	dump dump-flows-file-mod dump-flows
	printf '%s\n' 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=7)' >/tmp/flows-del.txt
	step del-flows-file del-flows /tmp/flows-del.txt
	dump dump-flows-file-del dump-flows
	step del-flows-named del-flows system@dp0
	ovs-dpctl del-dp dp0 2>/dev/null
	step dump-no-dp dump-flows
	step del-flows-no-dp del-flows
}

COMPARE_PY=$(cat <<'PY'
import difflib, os, re, sys
out = sys.argv[1]
sep = sys.argv.index("--")
steps, dumps = sys.argv[2:sep], sys.argv[sep + 1:]
tools = ("ovs-dpctl", "ovsdp-ctl")
log_line = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|")
own_note = re.compile(r"^ovsdp-ctl: (warning|kernel): ")
prefix = re.compile(r"^(ovs-dpctl|ovsdp-ctl): ")
used = re.compile(r"used:-?\d+\.\d+s")

def read(run, name, ext):
    try:
        with open(os.path.join(out, run, name + "." + ext), encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""

def norm_out(text, sort):
    lines = [used.sub("used:T", l) for l in text.splitlines(True)]
    return sorted(lines) if sort else lines

def norm_err(text, cmd, tool):
    lines = [l for l in text.splitlines(True) if not log_line.match(l) and not own_note.match(l)]
    lines = [prefix.sub("PROG: ", l) for l in lines]
    if tool == "ovs-dpctl":
        operands = [w for w in cmd.split() if not w.startswith("-")]
        dp = operands[1] if len(operands) > 1 else ""
        lines = ["PROG: opening datapath %s failed (%s" % (dp, l[len("PROG: opening datapath ("):])
                 if l.startswith("PROG: opening datapath (") else l for l in lines]
    return lines

results = []
def compare(name, a, b):
    why, diff = [], []
    for what in ("rc", "out", "err"):
        if a[what] != b[what]:
            why.append("%s differs" % what)
            diff += difflib.unified_diff([str(x) for x in a[what]] if what != "rc" else [a[what] + "\n"],
                                         [str(x) for x in b[what]] if what != "rc" else [b[what] + "\n"],
                                         "A " + name + "." + what, "B " + name + "." + what)
    results.append((name, why, diff))

with open(os.path.join(out, "transcript.txt"), "w") as t:
    for run in tools:
        for s in steps:
            t.write("=== [%s run] %s: %s [rc %s]\n" % (run, s, read(run, s, "cmd").strip(),
                                                     read(run, s, "rc").strip()))
            t.write(read(run, s, "out"))
            t.writelines("(stderr) " + l for l in read(run, s, "err").splitlines(True))
        for d in dumps:
            for tool in tools:
                n = d + "@" + tool
                t.write("=== [%s run] %s by %s: %s [rc %s]\n" % (run, d, tool, read(run, d, "cmd").strip(),
                                                               read(run, n, "rc").strip()))
                t.write(read(run, n, "out"))
                t.writelines("(stderr) " + l for l in read(run, n, "err").splitlines(True))

def load(run, name, tool, sort):
    cmd = read(run, name.split("@")[0], "cmd")
    return {"rc": read(run, name, "rc").strip(), "out": norm_out(read(run, name, "out"), sort),
            "err": norm_err(read(run, name, "err"), cmd, tool)}

# Steps: the ovs-dpctl run against the ovsdp-ctl run.
for s in steps:
    compare("step %s: %s" % (s, read("ovsdp-ctl", s, "cmd").strip()),
            load("ovs-dpctl", s, "ovs-dpctl", False), load("ovsdp-ctl", s, "ovsdp-ctl", False))
# Dumps: both tools on the same table, in both runs; and ovs-dpctl's dumps of
# the flows each tool added (sorted: the table's order is seeded per run).
for run in tools:
    for d in dumps:
        compare("dump %s: %s (flows added by %s)" % (d, read(run, d, "cmd").strip(), run),
                load(run, d + "@ovs-dpctl", "ovs-dpctl", False),
                load(run, d + "@ovsdp-ctl", "ovsdp-ctl", False))
for d in dumps:
    compare("dump %s: %s by ovs-dpctl, flows added by ovs-dpctl vs ovsdp-ctl" % (d, read("ovs-dpctl", d, "cmd").strip()),
            load("ovs-dpctl", d + "@ovs-dpctl", "ovs-dpctl", True),
            load("ovsdp-ctl", d + "@ovs-dpctl", "ovs-dpctl", True))

with open(os.path.join(out, "diffs.txt"), "w") as f:
    for name, why, diff in results:
        if not why:
            print("PASS: " + name)
            continue
        print("FAIL: %s\t%s" % (name, "; ".join(why)))
        f.write("### " + name + "\n")
        f.writelines(l if l.endswith("\n") else l + "\n" for l in diff)
        for l in diff[:24]:
            print("#   " + l.rstrip("\n")[:300])
PY
)

run_tool ovs-dpctl ovs-dpctl
run_tool "$CTL" ovsdp-ctl
python3 -c "$COMPARE_PY" "$OUT" "${STEPS[@]}" -- "${DUMPS[@]}" >"$OUT/compare.txt" ||
	echo "FAIL: compare: the comparison script failed" >>"$OUT/compare.txt"
ctl_report "$OUT/compare.txt"

# ovsdp-ctl only: --numa and JSON output (no ovs-dpctl counterpart).
reset_state
check "ovsdp-ctl add-flow for --numa" "$CTL" add-flow \
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)' '2'

send_traffic veth0p 2
check_output "ovsdp-ctl --numa dump-flows" 'numa:(\[0:packets:|unavailable)' "$CTL" --numa dump-flows
check_output "ovsdp-ctl -j dump-flows" '^\{"dp":"system@dp0".*"packets":2,' "$CTL" -j dump-flows
check_output "ovsdp-ctl --format=json --numa get-flow" '"numa":' "$CTL" --format=json --numa get-flow \
	'in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(0/0)'
check "ovsdp-ctl add-flow drop (empty action list)" "$CTL" add-flow \
	'in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=81),tcp_flags(0/0)' drop
check_output "ovs-dpctl shows ovsdp-ctl's drop" 'tcp\(dst=81\), packets:0, bytes:0, used:never, actions:drop' ovs-dpctl dump-flows
if [ "$MODE" = ovsdp ]; then
	check_output "ovsdp-ctl --numa sums to the flow stats" 'packets:2, .*numa:\[' "$CTL" --numa dump-flows
	# A sender on each node's CPU: both nodes get counters.
	taskset -c 0 bash -c "$(declare -f send_traffic); send_traffic veth0p 3"
	taskset -c 1 bash -c "$(declare -f send_traffic); send_traffic veth0p 4"
	check_output "ovsdp-ctl --numa shows both nodes" \
		'packets:9, .*numa:\[0:packets:[0-9]+,.* 1:packets:[0-9]+,' "$CTL" --numa dump-flows
fi
info "ovsdp-ctl --numa dump-flows:"
"$CTL" --numa dump-flows | sed 's/^/#   /'
info "ovsdp-ctl -j --numa dump-flows:"
"$CTL" -j --numa dump-flows | sed 's/^/#   /'
info "ovsdp-ctl -j show:"
"$CTL" -j -s show | sed 's/^/#   /'

ctl_finish 2
