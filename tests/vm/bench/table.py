#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tables from the "result ..." lines of tests/vm/bench/guest-bench.sh.

    table.py BENCH_TXT                 markdown tables, ours vs stock
    table.py --compare RUN1 RUN2       the same figures of two runs side by side
                                       (reproducibility check)

Every time is guest time under `vm-run --icount` (shift 2: 4 ns per guest
instruction), so a "us/pkt" figure is also an instruction count (x 250).
"""
import sys


def load(path):
    meta, rows = {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] not in ("result", "meta"):
                continue
            kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            if parts[0] == "meta":
                meta.update(kv)
            else:
                if kv.get("kind") in ("fwd", "base"):
                    kv.setdefault("traffic", "random")
                rows.append(kv)
    return meta, rows


def num(v):
    return float(v)


def kpps(r):
    """Full precision from the raw counts (the printed kpps is rounded)."""
    return num(r["pkts"]) * 1000.0 / num(r["usec"])


def sig4(x):
    """Four significant digits, without an exponent."""
    return "%.*f" % (max(0, 4 - len(str(int(abs(x))))) if x >= 1 else 4, x)


def pick(rows, **want):
    return [r for r in rows if all(r.get(k) == str(v) for k, v in want.items())]


def one(rows, **want):
    got = pick(rows, **want)
    return got[0] if got else None


def ratio(a, b):
    return "%.3f" % (a / b) if a and b else "-"


def masks_order(rows, traffic="random"):
    return sorted({int(r["M"]) for r in rows if r.get("kind") == "fwd" and r["traffic"] == traffic})


def actions_order(rows, traffic="random"):
    seen = []
    for r in rows:
        if r.get("kind") == "fwd" and r["traffic"] == traffic and r["action"] not in seen:
            seen.append(r["action"])
    return seen


def instr(r):
    """Guest instructions per packet: us/pkt x 250 (-icount shift=2)."""
    return num(r["usec"]) * 250.0 / num(r["pkts"])


def base_instr(rows, traffic):
    """The traffic's baseline (no datapath): instructions per packet, the
    mean of its runs (start and end of the boot), or None."""
    bs = [instr(r) for r in pick(rows, kind="base", traffic=traffic)]
    return sum(bs) / len(bs) if bs else None


TRAFFIC_LABEL = {"random": "random 5-tuples (cache not serving)",
                 "repeat": "64 repeating 5-tuples (cache serving)",
                 "tse": "T(M) traffic"}


def dp_cost_table(rows, a, b):
    """The datapath's own cost per packet: total - baseline, in guest
    instructions, for every traffic with fwd rows and a baseline."""
    out = []
    any_rows = False
    for traffic in ("random", "repeat"):
        base = base_instr(rows, traffic)
        if base is None or not masks_order(rows, traffic):
            continue
        if not any_rows:
            out.append("### The datapath's own cost per packet (guest instructions; "
                       "total - baseline of the same traffic without a datapath)")
            out.append("")
            out.append("| traffic | M | action | baseline | %s total | %s total | %s dp | %s dp "
                       "| dp %s/%s | total %s/%s | %s masks/pkt | %s masks/pkt |"
                       % (a, b, a, b, b, a, b, a, a, b))
            out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            any_rows = True
        for m in masks_order(rows, traffic):
            for act in actions_order(rows, traffic):
                ra = one(rows, kind="fwd", traffic=traffic, module=a, M=m, action=act)
                rb = one(rows, kind="fwd", traffic=traffic, module=b, M=m, action=act)
                if not ra and not rb:
                    continue
                ta = instr(ra) if ra else None
                tb = instr(rb) if rb else None
                da = ta - base if ta else None
                db = tb - base if tb else None
                out.append("| %s | %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    traffic, m, act, base,
                    "%.0f" % ta if ta else "-", "%.0f" % tb if tb else "-",
                    "%.0f" % da if da is not None else "-", "%.0f" % db if db is not None else "-",
                    ratio(db, da) if da and db else "-", ratio(tb, ta) if ta and tb else "-",
                    "%.2f" % num(ra["masks_per_pkt"]) if ra else "-",
                    "%.2f" % num(rb["masks_per_pkt"]) if rb else "-"))
    if any_rows:
        out.append("")
        out.append("baseline: pktgen and the receive path to ip_rcv's drop, no datapath (mean of the "
                   "runs at the start and the end of the boot); dp = total - baseline; "
                   "\"dp ours/stock\" is the datapath's own cost ratio (lower is better), "
                   "\"total ours/stock\" the instructions per packet (lower is better). "
                   "random: %s; repeat: %s."
                   % (TRAFFIC_LABEL["random"], TRAFFIC_LABEL["repeat"]))
        out.append("")
    return out


def tse_table(rows, a, b):
    """Tuple-space explosion: T(M) forwarding (drop), ours and stock, and
    ours at M against ours at the smallest M run (1)."""
    ms = masks_order(rows, "tse")
    if not ms:
        return []
    base = base_instr(rows, "tse")
    out = ["### Tuple-space explosion: T(M) flows (ACL-like prefix masks), traffic spread evenly over the "
           "M masks, action drop", ""]
    out.append("| M | flows | %s kpps | %s kpps | %s/%s | %s masks/pkt | %s masks/pkt | %s dp instr/pkt "
               "| %s dp instr/pkt | %s kpps / %s kpps at M=%d | %s install ms | %s install ms |"
               % (a, b, b, a, a, b, a, b, b, b, ms[0], a, b))
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ref = one(rows, kind="fwd", traffic="tse", module=b, M=ms[0], action="drop")
    for m in ms:
        ra = one(rows, kind="fwd", traffic="tse", module=a, M=m, action="drop")
        rb = one(rows, kind="fwd", traffic="tse", module=b, M=m, action="drop")
        r = ra or rb

        def dp(x):
            return "%.0f" % (instr(x) - base) if x and base is not None else "-"
        out.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            m, m if m <= 8192 else 2 * m - 8192,
            sig4(kpps(ra)) if ra else "-", sig4(kpps(rb)) if rb else "-",
            ratio(kpps(rb) if rb else 0, kpps(ra) if ra else 0),
            "%.1f" % num(ra["masks_per_pkt"]) if ra else "-", "%.1f" % num(rb["masks_per_pkt"]) if rb else "-",
            dp(ra), dp(rb), ratio(kpps(rb) if rb else 0, kpps(ref) if ref else 0),
            "%.1f" % (num(ra["install_ns"]) / 1e6) if ra else "-",
            "%.1f" % (num(rb["install_ns"]) / 1e6) if rb else "-"))
    out.append("")
    missing = [m for m in ms if not one(rows, kind="fwd", traffic="tse", module=a, M=m, action="drop")]
    if missing:
        out.append("%s at M = %s: not run; the kernel's module cannot hold more than 4,096 masks (its per-CPU "
                   "mask usage counters, 8 bytes per slot, would exceed the per-CPU allocator's 32 KiB: the "
                   "4,097th mask fails with ENOMEM and a kernel warning)." % (a, ", ".join(map(str, missing))))
        out.append("")
    if base is not None:
        out.append("Baseline of this traffic without a datapath: %.0f instructions per packet; "
                   "dp = total - baseline. Packets per run: %s."
                   % (base, ", ".join("%s M=%s: %s" % (r["module"], r["M"], r["pkts"])
                                      for r in pick(rows, kind="fwd", traffic="tse"))))
        out.append("")
    return out


def mem_table(rows, a, b):
    ms = pick(rows, kind="mem")
    if not ms:
        return []
    out = ["### Kernel memory per megaflow (%s flows, one mask; two NUMA nodes, one CPU each)" % ms[0]["flows"], ""]
    out.append("| stage | %s slab B/flow | %s slab B/flow | %s/%s | %s all B/flow | %s all B/flow | %s/%s |"
               % (a, b, b, a, a, b, b, a))
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for stage, label in (("installed", "installed"), ("hit_from_2_nodes", "after a packet per flow from each node")):
        ra = one(rows, kind="mem", module=a, stage=stage)
        rb = one(rows, kind="mem", module=b, stage=stage)

        def g(r, k):
            return num(r[k]) if r else 0
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, "%.0f" % g(ra, "slab_b_per_flow") if ra else "-", "%.0f" % g(rb, "slab_b_per_flow") if rb else "-",
            ratio(g(rb, "slab_b_per_flow"), g(ra, "slab_b_per_flow")),
            "%.0f" % g(ra, "all_b_per_flow") if ra else "-", "%.0f" % g(rb, "all_b_per_flow") if rb else "-",
            ratio(g(rb, "all_b_per_flow"), g(ra, "all_b_per_flow"))))
    out.append("")
    out.append("slab: /proc/meminfo Slab grown over the install (and the traffic), per flow; all: MemFree "
               "lost, per flow (slab plus page-sized and vmalloc'd tables such as hash buckets).")
    out.append("")
    return out


def tables(meta, rows, a="stock", b="ours"):
    out = []
    bases = [kpps(r) for r in pick(rows, kind="base", traffic="random")]
    base = bases[0] if bases else None
    out.append("Guest: %s, one vCPU, -icount shift=2 (guest time = 4 ns x instructions); "
               "%s packets per forwarding run; load order %s."
               % (meta.get("kernel", "?"), meta.get("count", "?"), meta.get("order", "?")))
    out.append("")
    out.append("### Forwarding: pktgen netif_receive into port 1, W(M) flows")
    out.append("")
    if base:
        out.append("Baseline without a datapath (pktgen + receive path, dropped in ip_rcv): "
                   "%s kpps = %.2f us/pkt%s." % (
                       " / ".join("%.1f" % x for x in bases), 1000.0 / base,
                       " (start / end of the run)" if len(bases) > 1 else ""))
        out.append("\"dp us/pkt\" = 1/kpps - 1/baseline kpps: the datapath's own cost per packet.")
        out.append("")
    out.append("| M | action | %s kpps | %s kpps | %s/%s | %s masks/pkt | %s masks/pkt "
               "| %s dp us/pkt | %s dp us/pkt | dp cost %s/%s | W(M) install ms %s / %s |"
               % (a, b, b, a, a, b, a, b, b, a, a, b))
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in masks_order(rows):
        for act in actions_order(rows):
            ra = one(rows, kind="fwd", traffic="random", module=a, M=m, action=act)
            rb = one(rows, kind="fwd", traffic="random", module=b, M=m, action=act)
            if not ra and not rb:
                continue

            def f(r, key, fmt="%.2f"):
                return fmt % num(r[key]) if r else "-"

            def dp(r):
                if not r or not base:
                    return None
                return 1000.0 / kpps(r) - 1000.0 / base
            da, db = dp(ra), dp(rb)
            out.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
                m, act, sig4(kpps(ra)) if ra else "-", sig4(kpps(rb)) if rb else "-",
                ratio(kpps(rb) if rb else 0, kpps(ra) if ra else 0),
                f(ra, "masks_per_pkt", "%.1f"), f(rb, "masks_per_pkt", "%.1f"),
                "%.2f" % da if da is not None else "-", "%.2f" % db if db is not None else "-",
                ratio(db, da) if da and db else "-",
                "%.1f" % (num(ra["install_ns"]) / 1e6) if ra else "-",
                "%.1f" % (num(rb["install_ns"]) / 1e6) if rb else "-"))
    out.append("")
    out += dp_cost_table(rows, a, b)
    out += tse_table(rows, a, b)
    out += mem_table(rows, a, b)
    out.append("### Flow setup over netlink (one mask, ipv4 dst exact, output:2; batches of 50 "
               "requests per send, <= 1000 unacknowledged)")
    out.append("")
    out.append("| module | flows | installs/s | deletes/s |")
    out.append("|---|---:|---:|---:|")
    setup = {}
    for mod in (a, b):
        rs = pick(rows, kind="setup", module=mod)
        if not rs:
            continue
        ins = [num(r["install_per_s"]) for r in rs]
        dels = [num(r["delete_per_s"]) for r in rs]
        setup[mod] = (sum(ins) / len(ins), sum(dels) / len(dels))
        out.append("| %s | %s | %s | %s |" % (mod, rs[0]["flows"], " / ".join("%.0f" % x for x in ins),
                                             " / ".join("%.0f" % x for x in dels)))
    if a in setup and b in setup:
        out.append("| %s/%s | | %s | %s |" % (b, a, ratio(setup[b][0], setup[a][0]),
                                             ratio(setup[b][1], setup[a][1])))
    out.append("")
    out.append("### Miss upcall round trips (AF_PACKET send into port 1's peer -> MISS upcall -> "
               "OVS_PACKET_CMD_EXECUTE output:2 -> AF_PACKET receive on port 2's peer)")
    out.append("")
    out.append("| batch | %s us/round trip | %s us/round trip | %s upcalls/s | %s upcalls/s | %s/%s (rate) |"
               % (a, b, a, b, b, a))
    out.append("|---:|---:|---:|---:|---:|---:|")
    batches = sorted({int(r["batch"]) for r in pick(rows, kind="upcall")})
    for bt in batches:
        ra = one(rows, kind="upcall", module=a, batch=bt)
        rb = one(rows, kind="upcall", module=b, batch=bt)
        out.append("| %d | %s | %s | %s | %s | %s |" % (
            bt, ra["us_per_rt"] if ra else "-", rb["us_per_rt"] if rb else "-",
            ra["upcalls_per_s"] if ra else "-", rb["upcalls_per_s"] if rb else "-",
            ratio(num(rb["upcalls_per_s"]) if rb else 0, num(ra["upcalls_per_s"]) if ra else 0)))
    da, db = one(rows, kind="dump", module=a), one(rows, kind="dump", module=b)
    if da or db:
        d = da or db
        out.append("")
        out.append("### Flow dump of %s flows (one mask), and EXECUTE while dumps and flow changes run "
                   "(%s EXECUTEs output:2 in sends of 32; beside them one process dumps all flows "
                   "over and over, another installs and deletes %s flows over and over)"
                   % (d["flows"], d["exec"], d["churn"]))
        out.append("")
        out.append("| figure | %s | %s | %s/%s (rate) |" % (a, b, b, a))
        out.append("|---|---:|---:|---:|")

        def row(label, key, fmt="%.0f"):
            x = num(da[key]) if da else 0
            y = num(db[key]) if db else 0
            out.append("| %s | %s | %s | %s |" % (label, fmt % x if da else "-", fmt % y if db else "-",
                                                  ratio(y, x)))
        row("dump: flows/s (second dump)", "dump_flows_per_s")
        row("EXECUTE alone: per s", "exec_alone_per_s")
        row("EXECUTE beside dumps and changes: per s", "exec_busy_per_s")
        out.append("| meanwhile: dumps done / flows installed+deleted | %s | %s | |" % (
            "%s / %d" % (da["side_dumps"], int(da["side_installs"]) + int(da["side_deletes"])) if da else "-",
            "%s / %d" % (db["side_dumps"], int(db["side_installs"]) + int(db["side_deletes"])) if db else "-"))
    return "\n".join(out)


def compare(p1, p2):
    (_, r1), (_, r2) = load(p1), load(p2)
    out = ["| figure | run 1 | run 2 | run2/run1 |", "|---|---:|---:|---:|"]

    def key(r):
        k = r["kind"]
        if k == "fwd":
            return ("fwd", r["traffic"], r["module"], int(r["M"]), r["action"])
        if k == "mem":
            return ("mem", r["module"], r["stage"])
        if k == "setup":
            return ("setup", r["module"], int(r["rep"]))
        if k == "upcall":
            return ("upcall", r["module"], int(r["batch"]))
        if k == "dump":
            return ("dump", r["module"])
        return ("base", r["traffic"])
    fields = {"fwd": ["kpps", "masks_per_pkt"], "setup": ["install_per_s", "delete_per_s"],
              "upcall": ["us_per_rt"], "base": ["kpps"],
              "dump": ["dump_flows_per_s", "exec_alone_per_s", "exec_busy_per_s"],
              "mem": ["slab_b_per_flow", "all_b_per_flow"]}
    m2 = {}
    for r in r2:
        m2.setdefault(key(r), r)
    seen = set()
    worst = {}
    for r in r1:
        k = key(r)
        if k in seen or k not in m2:
            continue
        seen.add(k)
        for fld in fields[r["kind"]]:
            if fld == "kpps":
                x, y = kpps(r), kpps(m2[k])
                sx, sy = sig4(x), sig4(y)
            else:
                x, y = num(r[fld]), num(m2[k][fld])
                sx, sy = r[fld], m2[k][fld]
            rel = y / x if x else 0
            wk = "%s %s" % (r["kind"], fld)
            worst[wk] = max(worst.get(wk, 0.0), abs(rel - 1))
            out.append("| %s %s | %s | %s | %.4f |" % (" ".join(str(p) for p in k), fld, sx, sy, rel))
    out.append("")
    out.append("largest difference: " + ", ".join("%s %.2f%%" % (k, 100 * v) for k, v in worst.items()))
    return "\n".join(out)


def main(argv):
    if len(argv) == 3 and argv[0] == "--compare":
        print(compare(argv[1], argv[2]))
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    meta, rows = load(argv[0])
    if not rows:
        print("no results in %s" % argv[0], file=sys.stderr)
        return 1
    print(tables(meta, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
