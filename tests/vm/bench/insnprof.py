#!/usr/bin/env python3
"""Per-function guest instruction counts from the insnprof QEMU plugin.

Reads a run directory of scripts/insnprof.sh: the plugin's windows
(insnprof.N: "vaddr insns_in_block executions" per line), the modules in the
order they ran (order) and each one's /proc/kallsyms (kallsyms.MOD).  Module
k's timed pass is window 2k+2 (window 2k+1 is everything before it).

  insnprof.py RUNDIR --per N [--top 40] [--match REGEX]

prints, per module, instructions per operation in total, by place (kernel,
each module, user space) and by function, then the functions side by side.
"""
import argparse
import bisect
import collections
import os
import re
import sys


def load_syms(path):
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] in ("a", "A", "U"):
                continue
            addr = int(parts[0], 16)
            if addr == 0:
                continue
            name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
            addrs.append(addr)
            names.append(name)
    order = sorted(range(len(addrs)), key=lambda i: addrs[i])
    return [addrs[i] for i in order], [names[i] for i in order]


def profile(window, syms):
    addrs, names = syms
    by_fn = collections.Counter()
    with open(window) as f:
        for line in f:
            va, n, count = line.split()
            va, insns = int(va, 16), int(n) * int(count)
            if va < 0xffff800000000000:
                by_fn["[user]"] += insns
                continue
            i = bisect.bisect_right(addrs, va) - 1
            by_fn[names[i] if i >= 0 else "[?]"] += insns
    return by_fn


def place(name):
    m = re.search(r"\[(\S+)\]$", name)
    if name == "[user]":
        return "user"
    return m.group(1) if m else "kernel"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rundir")
    ap.add_argument("--per", type=float, required=True, help="operations in the timed pass")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--match", help="only functions matching this regex in the function table")
    a = ap.parse_args()
    mods = open(os.path.join(a.rundir, "order")).read().split()
    profs = {}
    for k, mod in enumerate(mods):
        w = os.path.join(a.rundir, "insnprof.%d" % (2 * k + 2))
        profs[mod] = profile(w, load_syms(os.path.join(a.rundir, "kallsyms." + mod)))
    for mod in mods:
        p = profs[mod]
        total = sum(p.values())
        places = collections.Counter()
        for fn, v in p.items():
            places[place(fn)] += v
        print("%s: %.0f instructions per operation (%s)" % (
            mod, total / a.per, ", ".join("%s %.0f" % (k, v / a.per) for k, v in places.most_common())))
    print()
    keys = collections.Counter()
    for p in profs.values():
        keys.update(p)
    rx = re.compile(a.match) if a.match else None
    rows = [k for k, _ in keys.most_common() if not rx or rx.search(k)][: a.top]
    print("%-60s " % "function" + " ".join("%10s" % m for m in mods))
    for k in rows:
        print("%-60s " % k[:60] + " ".join("%10.1f" % (profs[m].get(k, 0) / a.per) for m in mods))


if __name__ == "__main__":
    sys.exit(main())
