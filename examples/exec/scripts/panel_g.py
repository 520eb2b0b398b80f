"""G(r) of correlator panels with numpy, as Kadanoff's correlator.panel_g computes it.

Run by a Kadanoff exec step: the panels arrive as inputs/panels.npy ([n][L][L] or [L][L]),
the built-in op's G(r) as inputs/builtin.csv; params.json holds bin_width. Writes
outputs/g.csv (r, g, pairs) and outputs/agreement.json (the largest difference from the
built-in's G over the distances both give).
"""
import csv
import json

import numpy as np

bin_width = json.load(open("params.json"))["bin_width"]
panels = np.load("inputs/panels.npy").astype(np.float64)
if panels.ndim == 2:
    panels = panels[None]
n, L, _ = panels.shape

# The circular autocorrelation sum_x C(x) C(x + d) of every panel, summed over the panels.
f = np.fft.fft2(panels)
acf = np.fft.ifft2(f * np.conj(f)).real.sum(axis=0)

# Group the displacements d by periodic Euclidean distance, binned to multiples of bin_width.
e = np.minimum(np.arange(L), L - np.arange(L))
r = np.sqrt(e[None, :] ** 2 + e[:, None] ** 2)
key = np.floor(r / bin_width + 0.5).astype(int)
rows = []
for k in np.unique(key):
    sel = key == k
    rows.append((r[sel].mean(), acf[sel].sum() / (sel.sum() * L * L), int(sel.sum()) * L * L))
rows = [row for row in rows if row[0] <= L / 2 + 1e-9]  # as the built-in's range: half

with open("outputs/g.csv", "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["r", "g", "pairs"])
    for row in rows:
        w.writerow([repr(row[0]), repr(row[1]), row[2]])

builtin = {round(float(b["r"]), 9): float(b["g"]) for b in csv.DictReader(open("inputs/builtin.csv"))}
diffs = [abs(g - builtin[round(rr, 9)]) for rr, g, _ in rows if round(rr, 9) in builtin]
json.dump({"max_abs_diff": max(diffs), "compared": len(diffs), "distances": len(rows)}, open("outputs/agreement.json", "w"))
