#!/usr/bin/env python3
"""tables.py RUNS.tsv UPDATES ROWS.tsv > results.md — char-lm's tables.

RUNS.tsv (written by run.sh) has one line per finished run: model, seed,
hidden, params, valid and test bits per character, seconds, failed (yes/no).
Prints results.md: every run, then with more than one seed each model's mean
test bits per character, their spread and range.  Writes ROWS.tsv, the rows of
results.json (experiments/README.md): one per run and metric, setting "ptb-char
seed S", and with more than one seed the means, setting "ptb-char mean of N
seeds".  Python's standard library only.
"""
import csv
import statistics
import sys

runs_path, updates, rows_path = sys.argv[1], sys.argv[2], sys.argv[3]
with open(runs_path, newline="") as f:
    runs = list(csv.DictReader(f, delimiter="\t"))
models = list(dict.fromkeys(r["model"] for r in runs))
seeds = list(dict.fromkeys(r["seed"] for r in runs))

rows = []


def row(model, setting, metric, value, params, seconds):
    rows.append([model, setting, metric, "%.4f" % value, "true", "", params, "%.3f" % seconds])


print("| model | seed | hidden | parameters | valid bpc | test bpc | updates | seconds |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for r in runs:
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s | %s | %s | %s | %s | %s%s | %s | %.0f |" % (
        r["model"], r["seed"], r["hidden"], r["params"], r["valid"], r["test"], failed, updates,
        float(r["seconds"])))
    for metric, key in (("test bits per character", "test"), ("valid bits per character", "valid")):
        row(r["model"], "ptb-char seed " + r["seed"], metric, float(r[key]), r["params"], float(r["seconds"]))

if len(seeds) > 1:
    print()
    print("| model | parameters | seeds | test bpc, mean | sd | min | max | valid bpc, mean | seconds, mean |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models:
        mine = [r for r in runs if r["model"] == m]
        test = [float(r["test"]) for r in mine]
        valid = [float(r["valid"]) for r in mine]
        seconds = statistics.mean(float(r["seconds"]) for r in mine)
        sd = statistics.stdev(test) if len(test) > 1 else 0.0
        print("| %s | %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.0f |" % (
            m, mine[0]["params"], len(mine), statistics.mean(test), sd, min(test), max(test),
            statistics.mean(valid), seconds))
        setting = "ptb-char mean of %d seeds" % len(mine)
        row(m, setting, "test bits per character", statistics.mean(test), mine[0]["params"], seconds)
        row(m, setting, "valid bits per character", statistics.mean(valid), mine[0]["params"], seconds)

with open(rows_path, "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
