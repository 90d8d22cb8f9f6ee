#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vm-ctl-stock.sh: guest script for tests/vm/vm-run.  Runs one sequence of
# datapath and port commands (add-dp, add-if netdev + internal, show, show -s,
# set-if, del-if, del-dp, dump-dps with several datapaths, error cases) first
# with Debian's ovs-dpctl and then with ovsdp-ctl, from the same clean state,
# and compares every step: standard output byte for byte, standard error
# after normalisation, exit status, and the kernel state the step left
# (datapath features, ports and their upcall PIDs, link flags).
#
# usage (on the host):
#   tests/vm/vm-run [--timeout 900] userspace-ctl/tests/vm-ctl-stock.sh [--ovsdp] [--ctl PATH]
#     --ctl PATH  the ovsdp-ctl binary (default: $OVSDP_CTL, else the newest
#                 build*/userspace-ctl/ovsdp-ctl under the repo or /work;
#                 it must not live under /tmp, which is a tmpfs in the guest)
#     --ovsdp     test against our module ($OVSDP_MODULE, vm-run --module)
#                 instead of the kernel's stock openvswitch.ko
#
# Standard error is normalised by dropping OVS log lines ("<time>|<n>|<module>|
# <level>|..."), ovsdp-ctl's "warning:"/"kernel:" lines (what ovs-dpctl
# logs, ovsdp-ctl prints as warnings), renaming the program prefix, and
# rewriting ovs-dpctl's "opening datapath (...)", "add_dp (...)", "del_dp
# (...)" into ovsdp-ctl's wording, which names the datapath.
# Results: PASS/FAIL per step, transcripts and diffs in /results/ctl-compare/.
# Takes about 5 minutes of TCG time (ovs-dpctl needs seconds per call there).
# shellcheck disable=SC2317

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "${OVSDP_GUEST_LIB:-$REPO/tests/vm/guest-lib.sh}"
. "$HERE/vm-ctl-lib.sh"

ctl_setup vm-ctl-stock.sh ctl-compare "$@"

# ---------------------------------------------------------------------------
# Fresh host state for each tool: no datapaths, new veth pairs.
# ---------------------------------------------------------------------------
reset_state() { ctl_fresh_links 4; }

# Kernel state after a step: datapaths in kernel order with their features,
# ports with type and upcall PIDs, and which test links are up.
STATE_PY=$(cat <<'PY'
import os, struct, sys
sys.path.insert(0, sys.argv[1])
from ovsnl import DP_ATTR, DP_CMD, VPORT_ATTR, VPORT_CMD, Genl
nl = Genl()
for dp in nl.request("ovs_datapath", DP_CMD["GET"], dump=True):
    feats = dp.u32(DP_ATTR["USER_FEATURES"]) if DP_ATTR["USER_FEATURES"] in dp.attrs else None
    print("dp %s features=%s" % (dp.str(DP_ATTR["NAME"]), feats))
    ports = nl.request("ovs_vport", VPORT_CMD["GET"], dp_ifindex=dp.dp_ifindex, dump=True)
    for p in sorted(ports, key=lambda m: m.u32(VPORT_ATTR["PORT_NO"])):
        raw = p.attrs.get(VPORT_ATTR["UPCALL_PID"], b"")
        pids = struct.unpack("=%dI" % (len(raw) // 4), raw)
        print("  port %d %s type=%d pids=%s" % (p.u32(VPORT_ATTR["PORT_NO"]),
              p.str(VPORT_ATTR["NAME"]), p.u32(VPORT_ATTR["TYPE"]), list(pids)))
for name in sorted(os.listdir("/sys/class/net")):
    if name.startswith(("veth", "int", "dp", "br", "ovs")) and not name.endswith("p"):
        flags = int(open("/sys/class/net/%s/flags" % name).read(), 16)
        print("link %s %s" % (name, "UP" if flags & 1 else "down"))
PY
)
kernel_state() { python3 -c "$STATE_PY" "$REPO/tests/vm/lib"; }

# Sends COUNT broadcast frames of LEN bytes out of IFACE (into its veth peer).
send_frames() {
	python3 - "$@" <<'PY'
import socket, sys
ifname, count, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5"
frame += bytes(length - len(frame))
for _ in range(count):
    s.send(frame)
PY
}

# ---------------------------------------------------------------------------
# The sequence.  "step NAME ARGS..." runs the tool under test; "probe NAME
# CMD..." records anything else whose output must match across tools.
# ---------------------------------------------------------------------------
probe() {
	local name=$1 d=$OUT/$TOOL_NAME
	shift
	STEPS+=("$name")
	"$@" >"$d/$name.out" 2>"$d/$name.err"
	echo $? >"$d/$name.rc"
	printf '%s\n' "$*" >"$d/$name.cmd"
}

sequence() {
	step 01-add-dp add-dp dp0
	probe 02-state kernel_state
	step 03-add-dp-again add-dp dp0
	step 04-dump-dps dump-dps
	step 05-show-fresh show
	step 06-add-if-veth add-if dp0 veth0
	step 07-add-if-internal add-if dp0 int0,type=internal
	step 08-add-if-port-no add-if system@dp0 veth1,port_no=7
	probe 09-state kernel_state
	step 10-add-if-nosuch-dev add-if dp0 nosuch0
	step 11-add-if-busy add-if dp0 veth0
	step 12-add-if-port-in-use add-if dp0 veth2,port_no=7
	step 13-add-if-nosuch-dp add-if nosuchdp veth2
	step 14-add-if-empty add-if dp0 ,,
	step 15-add-if-dup-option add-if dp0 veth2,foo=1,foo=2,port_no=9
	step 16-add-if-bad-type add-if dp0 x0,type=bogus
	step 17-add-if-mixed add-if dp0 nosuch1 veth3
	probe 18-state kernel_state
	step 19-show show
	step 20-show-dp show dp0
	step 21-show-system-dp show system@dp0
	step 22-show-missing show dp0 nosuchdp
	probe 23-traffic send_frames veth0p 12 100
	probe 24-traffic send_frames veth1p 3 1500
	step 25-show-stats show -s dp0
	step 26-show-stats-opt-first -s show
	step 27-set-if set-if dp0 veth0
	step 28-set-if-same set-if dp0 veth0,type=system,port_no=1
	step 29-set-if-type set-if dp0 veth0,type=internal
	step 30-set-if-port-no set-if dp0 veth0,port_no=9
	step 31-set-if-config set-if dp0 veth0,mtu=9000
	step 32-set-if-nosuch set-if dp0 nosuch0
	step 33-set-if-internal set-if dp0 int0,type=internal
	step 34-add-dp-with-ifs add-dp dp1 int1,type=internal
	step 35-add-dp-more add-dp dp2
	step 36-add-dp-more add-dp br0
	step 37-add-dp-more add-dp ovs-system
	step 38-add-dp-more add-dp a
	probe 39-state kernel_state
	step 40-dump-dps-many dump-dps
	step 41-show-many show
	step 42-del-if-name del-if dp0 veth0
	step 43-del-if-number del-if dp0 7
	step 44-del-if-nosuch-name del-if dp0 nosuch0
	step 45-del-if-nosuch-number del-if dp0 99
	step 46-del-if-local del-if dp0 0
	step 47-del-if-other-dp del-if dp1 int0
	step 48-del-if-nosuch-dp del-if nosuchdp 1
	probe 49-state kernel_state
	step 50-show-after-del show dp0
	step 51-del-dp del-dp dp0
	step 52-del-dp-again del-dp dp0
	step 53-del-dp-system del-dp system@dp1
	step 54-del-dp-rest del-dp dp2
	step 55-del-dp-rest del-dp br0
	step 56-del-dp-rest del-dp ovs-system
	step 57-del-dp-rest del-dp a
	probe 58-state kernel_state
	step 59-dump-dps-none dump-dps
	step 60-show-none show
	step 61-unknown-type add-dp foo@dpx
	step 62-unknown-type-show show bar@dpx
	step 63-no-command
	step 64-unknown-command frob
	step 65-too-few add-dp
	step 66-too-many del-dp a b
	step 67-dump-dps-arg dump-dps x
	step 68-bad-long-option --bogus show
	step 69-bad-short-option -x show
	step 70-timeout -t 0 show
	# Requests the kernel rejects by policy (extended ACK on our side).
	step 71-dp-name-too-long add-dp dp-name-much-too-long
	step 72-add-dp add-dp dp0
	step 73-internal-name-too-long add-if dp0 int-name-too-long0,type=internal
	step 74-reserved-name add-if dp0 all,type=internal
	step 75-show show
	step 76-del-dp del-dp dp0
}

# Writes the transcripts and diffs and prints one "PASS: step" / "FAIL: step:
# why" line per step.  One Python process: process starts are slow in the
# TCG guest.
COMPARE_PY=$(cat <<'PY'
import difflib, os, re, sys
out, steps = sys.argv[1], sys.argv[2:]
tools = ("ovs-dpctl", "ovsdp-ctl")
log_line = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|")
own_note = re.compile(r"^ovsdp-ctl: (warning|kernel): ")
prefix = re.compile(r"^(ovs-dpctl|ovsdp-ctl): ")

def read(tool, step, ext):
    with open(os.path.join(out, tool, step + "." + ext), encoding="utf-8", errors="replace") as f:
        return f.read()

def norm_err(text, cmd, tool):
    lines = [l for l in text.splitlines(True) if not log_line.match(l) and not own_note.match(l)]
    lines = [prefix.sub("PROG: ", l) for l in lines]
    if tool == "ovs-dpctl":
        # ovsdp-ctl names the datapath where ovs-dpctl does not.
        operands = [w for w in cmd.split() if not w.startswith("-")]
        dp = operands[1] if len(operands) > 1 else ""
        for old, new in (("PROG: opening datapath (", "PROG: opening datapath %s failed ("),
                         ("PROG: add_dp (", "PROG: creating datapath %s failed ("),
                         ("PROG: del_dp (", "PROG: deleting datapath %s failed (")):
            lines = [new % dp + l[len(old):] if l.startswith(old) else l for l in lines]
    return lines

for tool in tools:
    with open(os.path.join(out, tool + ".transcript"), "w") as t:
        for s in steps:
            t.write("=== %s: %s [rc %s]\n" % (s, read(tool, s, "cmd").strip(), read(tool, s, "rc").strip()))
            t.write(read(tool, s, "out"))
            t.writelines("(stderr) " + l for l in read(tool, s, "err").splitlines(True))

with open(os.path.join(out, "diffs.txt"), "w") as d:
    for s in steps:
        a, b = ({e: read(t, s, e) for e in ("rc", "out", "err", "cmd")} for t in tools)
        why = []
        if a["rc"] != b["rc"]:
            why.append("exit status %s vs %s" % (a["rc"].strip(), b["rc"].strip()))
        diff = []
        if a["out"] != b["out"]:
            why.append("stdout differs")
            diff += difflib.unified_diff(a["out"].splitlines(True), b["out"].splitlines(True),
                                         "ovs-dpctl " + s + ".out", "ovsdp-ctl " + s + ".out")
        ea, eb = norm_err(a["err"], a["cmd"], tools[0]), norm_err(b["err"], b["cmd"], tools[1])
        if ea != eb:
            why.append("stderr differs")
            diff += difflib.unified_diff(ea, eb, "ovs-dpctl " + s + ".err", "ovsdp-ctl " + s + ".err")
        name = "%s: %s" % (s, b["cmd"].strip())
        if not why:
            print("PASS: " + name)
            continue
        print("FAIL: %s\t%s" % (name, "; ".join(why)))
        d.writelines(diff)
        for l in diff[:30]:
            print("#   " + l.rstrip("\n"))
PY
)

run_tool ovs-dpctl ovs-dpctl
run_tool "$CTL" ovsdp-ctl
# (No process substitution: the guest has no /dev/fd.)
python3 -c "$COMPARE_PY" "$OUT" "${STEPS[@]}" >"$OUT/compare.txt" ||
	echo "FAIL: compare: the comparison script failed" >>"$OUT/compare.txt"
ctl_report "$OUT/compare.txt"

# ovsdp-ctl's own --help and --version (not compared: different program).
check "ovsdp-ctl --help" "$CTL" --help
check_output "ovsdp-ctl --version" '^ovsdp-ctl \(ovsdp\) ' "$CTL" --version

ctl_finish 4
