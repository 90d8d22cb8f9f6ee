#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `perf script -F comm,ip,sym` call-graph dump (guest-profile.sh):
self and inclusive shares of the samples of one command (default: pktgen's
kernel thread, or ovsbench for flow setup), optionally only the samples under
one function (--under) and not under another (--not-under)."""
import argparse
import collections

ap = argparse.ArgumentParser()
ap.add_argument("script")
ap.add_argument("--comm", default="kpktgend", help="samples of commands containing this")
ap.add_argument("--under", help="only samples whose stack contains this function")
ap.add_argument("--not-under", help="and whose stack does not contain this one")
ap.add_argument("-n", type=int, default=40, help="rows per table")
args = ap.parse_args()

total = 0
picked = 0
self_c = collections.Counter()
incl_c = collections.Counter()
for block in open(args.script, errors="replace").read().split("\n\n"):
    lines = block.strip().split("\n")
    if len(lines) < 2 or args.comm not in lines[0]:
        continue
    stack = [ln.strip().split(" ", 1)[1] if " " in ln.strip() else "?" for ln in lines[1:]]
    total += 1
    if args.under and args.under not in stack:
        continue
    if args.not_under and args.not_under in stack:
        continue
    picked += 1
    self_c[stack[0]] += 1
    for sym in set(stack):
        incl_c[sym] += 1

print("%d samples of '%s', %d picked (%.1f%%)" % (total, args.comm, picked, 100.0 * picked / max(total, 1)))
for title, c in (("self", self_c), ("inclusive", incl_c)):
    print("--- %s, %% of all samples of the command" % title)
    for sym, n in c.most_common(args.n):
        print("  %6.2f%%  %s" % (100.0 * n / max(total, 1), sym[:110]))
