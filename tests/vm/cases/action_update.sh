# action_update.sh (guest, sourced after guest-lib.sh): the steps of Open
# vSwitch's kernel-datapath test "datapath - simulated flow action update"
# (tests/system-traffic.at of OVS 3.1, `make check-kernel`) with Debian's
# binaries, on the ovs-vswitchd that start_ovs started: OpenFlow rules
# forward between two namespaces and to the bridge, ten pings, the rules'
# actions modified (ovs-vswitchd updates the datapath flows' actions with
# OVS_FLOW_CMD_SET), ten pings, the rules back, ten pings. The datapath flows'
# counters must include every packet that went through them: upstream shows
# 9, 19 and 29 (the first ping of the first round goes to userspace).
# shellcheck shell=bash

# _au_packets IN_PORT: the packets count of the IPv4 flow from datapath port IN_PORT.
_au_packets() {
	ovs-appctl dpctl/dump-flows 2>/dev/null | grep "eth_type(0x0800)" | grep "in_port($1)," |
		sed -n 's/.* packets:\([0-9]*\),.*/\1/p' | head -1
}

# _au_ufid IN_PORT: the UFID of that flow (a flow deleted and made again by
# ovs-vswitchd gets a new one).
_au_ufid() {
	ovs-appctl dpctl/dump-flows -m --no-names 2>/dev/null | grep "eth_type(0x0800)" | grep "in_port($1)," |
		sed -n 's/^ufid:\([0-9a-f-]*\).*/\1/p' | head -1
}

# _au_port NAME: the datapath port number of NAME.
_au_port() {
	ovs-appctl dpctl/show 2>/dev/null | awk -v n="$1" '$1 == "port" && $3 == n { sub(":", "", $2); print $2; exit }'
}

# action_update_check LABEL: the test's steps on a bridge of its own; one
# case per round. A round's counts are checked against the previous round's
# (not reset, grown by the round's packets): under a loaded TCG host a second
# ping may still miss while the first one's flow is being installed, so round
# 1 may count 8 (the exact 9/19/29 is required only with AU_EXACT=1); rounds 2
# and 3 must add exactly 10 to the same flow (same UFID: modified, not deleted
# and made again). ovs-vswitchd's idle limit goes up to 60 s for the test: on a
# slow host the time between rounds can pass its default 10 s, and an idle
# flow deleted by ovs-vswitchd starts counting again from 0 on either module.
action_update_check() {
	local label=$1 i step p2 p3 prev2=0 prev3=0 ok why port0="" port1="" u2 u3 prevu2="" prevu3=""
	ovs-vsctl --timeout=60 set Open_vSwitch . other_config:max-idle=60000
	ovs-vsctl --timeout=60 add-br br-au -- set Bridge br-au fail-mode=secure \
		protocols=OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15 || {
		t_fail "$label: action update: add-br"
		return 1
	}
	for i in 0 1; do
		ip netns add au_ns$i
		ip link add au$i type veth peer name ovs-au$i
		ip link set au$i netns au_ns$i
		ip link set ovs-au$i up
		ip -n au_ns$i addr add 10.1.1.$((i + 1))/24 dev au$i
		ip -n au_ns$i link set au$i up
		ovs-vsctl --timeout=60 add-port br-au ovs-au$i
	done
	printf 'add in_port=ovs-au0,actions=ovs-au1,br-au\nadd in_port=ovs-au1,actions=ovs-au0,br-au\n' >/tmp/au-flows.txt
	printf 'modify in_port=ovs-au0,actions=ovs-au1\nmodify in_port=ovs-au1,actions=ovs-au0\n' >/tmp/au-flows2.txt
	# The ports' datapath numbers, once ovs-vswitchd has added both.
	for i in $(seq 20); do
		port0=$(_au_port ovs-au0)
		port1=$(_au_port ovs-au1)
		[ -n "$port0" ] && [ -n "$port1" ] && break
		sleep 0.5
	done
	info "$label: ovs-au0 is datapath port ${port0:-?}, ovs-au1 port ${port1:-?}"
	ovs-ofctl add-flows br-au /tmp/au-flows.txt
	for step in 1 2 3; do
		case $step in
		2) ovs-ofctl add-flows br-au /tmp/au-flows2.txt && ovs-appctl revalidator/wait ;;
		3) ovs-ofctl add-flows br-au /tmp/au-flows.txt && ovs-appctl revalidator/wait ;;
		esac
		t_begin "$label: action update round $step: datapath flows count every packet"
		ip netns exec au_ns0 ping -q -c 10 -i 0.1 -w 4 10.1.1.2 >/tmp/au-ping.txt 2>&1
		ovs-appctl dpctl/dump-flows 2>/dev/null | grep "eth_type(0x0800)" | sort | sed 's/^/#   /'
		p2=$(_au_packets "$port0")
		p3=$(_au_packets "$port1")
		u2=$(_au_ufid "$port0")
		u3=$(_au_ufid "$port1")
		ok=1
		why=""
		grep -q " 10 received" /tmp/au-ping.txt || { ok=0; why="ping: $(grep transmitted /tmp/au-ping.txt)"; }
		for v in "${p2:-x}:$prev2:$u2:$prevu2" "${p3:-x}:$prev3:$u3:$prevu3"; do
			IFS=: read -r now before ufid prevufid <<<"$v"
			if [ "$step" = 1 ]; then
				lo=$((before + 8))
			else
				lo=$((before + 10))
				[ -n "$ufid" ] && [ "$ufid" = "$prevufid" ] ||
					{ ok=0; why="$why flow made again (ufid ${prevufid:-?} then ${ufid:-?})"; }
			fi
			if [ "$now" = x ] || [ "$now" -lt $lo ] || [ "$now" -gt $((before + 10)) ]; then
				ok=0
				why="$why packets $now after $before (this round adds $((lo - before))-10)"
			fi
		done
		if [ "${AU_EXACT:-0}" = 1 ] && { [ "$p2" != $((step * 10 - 1)) ] || [ "$p3" != $((step * 10 - 1)) ]; }; then
			ok=0
			why="$why want exactly $((step * 10 - 1))"
		fi
		info "$label round $step: packets $p2 / $p3, ufids ${u2:-?} / ${u3:-?} (upstream's test expects $((step * 10 - 1)));" \
			"revalidator: $(ovs-appctl upcall/show 2>/dev/null | grep -E 'dump duration' | tr -s ' ' | head -1)"
		if [ $ok = 1 ]; then t_pass; else t_fail "$why"; fi
		prev2=${p2:-0}
		prev3=${p3:-0}
		prevu2=$u2
		prevu3=$u3
	done
	ovs-vsctl --timeout=60 del-br br-au
	ovs-vsctl --timeout=60 remove Open_vSwitch . other_config max-idle
	for i in 0 1; do ip netns del au_ns$i; done
}
