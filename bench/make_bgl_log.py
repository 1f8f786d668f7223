#!/usr/bin/env python3
"""A BGL log of N lines built from the shared BGL sample, for the scale benches: repetition k
shifts the timestamps by k sample spans and renames the nodes (R02 -> R02k...), so templates and
windows stay realistic. Usage: make_bgl_log.py SAMPLE LINES OUT"""
import sys, time
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l.rstrip("\r\n") for l in open(src, encoding="utf-8", errors="replace") if l.strip()]
ts = [int(l.split(" ", 2)[1]) for l in lines]
span = max(ts) - min(ts) + 1
with open(out, "w", encoding="utf-8") as o:
    k = 0
    written = 0
    while written < n:
        shift = k * span
        for l in lines:
            if written >= n:
                break
            f = l.split(" ", 9)
            t = int(f[1]) + shift
            g = time.gmtime(t)
            f[1] = str(t)
            f[2] = time.strftime("%Y.%m.%d", g)
            frac = f[4][19:] if len(f[4]) > 19 else ".000000"
            f[4] = time.strftime("%Y-%m-%d-%H.%M.%S", g) + frac
            if k:
                f[3] = f[3].replace("R", "R%d" % k, 1)
                f[5] = f[5].replace("R", "R%d" % k, 1)
            o.write(" ".join(f) + "\n")
            written += 1
        k += 1
