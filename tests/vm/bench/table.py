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


def masks_order(rows):
    return sorted({int(r["M"]) for r in rows if r.get("kind") == "fwd"})


def actions_order(rows):
    seen = []
    for r in rows:
        if r.get("kind") == "fwd" and r["action"] not in seen:
            seen.append(r["action"])
    return seen


def tables(meta, rows, a="stock", b="ours"):
    out = []
    bases = [kpps(r) for r in pick(rows, kind="base")]
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
            ra = one(rows, kind="fwd", module=a, M=m, action=act)
            rb = one(rows, kind="fwd", module=b, M=m, action=act)
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
    dumps = {mod: one(rows, kind="dump", module=mod) for mod in (a, b)}
    if any(dumps.values()):
        out.append("")
        out.append("### Flow dump (the setup's flows, installed; one OVS_FLOW_CMD_GET dump of keys, masks, "
                   "stats and actions)")
        out.append("")
        out.append("| module | flows | ms per dump | flows/s |")
        out.append("|---|---:|---:|---:|")
        for mod in (a, b):
            r = dumps[mod]
            if r:
                out.append("| %s | %s | %.1f | %s |" % (mod, r["flows"], num(r["dump_ns"]) / 1e6, r["flows_per_s"]))
        if dumps[a] and dumps[b]:
            out.append("| %s/%s (rate) | | | %s |" % (b, a, ratio(num(dumps[b]["flows_per_s"]),
                                                              num(dumps[a]["flows_per_s"]))))
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
    return "\n".join(out)


def compare(p1, p2):
    (_, r1), (_, r2) = load(p1), load(p2)
    out = ["| figure | run 1 | run 2 | run2/run1 |", "|---|---:|---:|---:|"]

    def key(r):
        k = r["kind"]
        if k == "fwd":
            return ("fwd", r["module"], int(r["M"]), r["action"])
        if k == "setup":
            return ("setup", r["module"], int(r["rep"]))
        if k == "upcall":
            return ("upcall", r["module"], int(r["batch"]))
        if k == "dump":
            return ("dump", r["module"])
        return ("base",)
    fields = {"fwd": ["kpps", "masks_per_pkt"], "setup": ["install_per_s", "delete_per_s"],
              "upcall": ["us_per_rt"], "base": ["kpps"], "dump": ["dump_ns"]}
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
