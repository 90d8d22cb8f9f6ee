# bench-veths.sh (guest, sourced by guest-bench.sh, guest-profile.sh and
# guest-insnprof.sh): the benchmarks' two veth pairs, veth0/veth0p and
# veth1/veth1p, with fixed MAC addresses (ovsbench's frames are addressed
# to them), up. bench_veths: 0 when made.
bench_veths() {
	local i
	for i in 0 1; do
		ip link add "veth$i" type veth peer name "veth${i}p" &&
			ip link set "veth$i" address "02:00:00:00:10:0$i" &&
			ip link set "veth${i}p" address "02:00:00:00:11:0$i" &&
			ip link set "veth$i" up && ip link set "veth${i}p" up || return 1
	done
}
