#!/usr/bin/env python3
"""tables.py RUNS.tsv ROWS.tsv > results.md — awd-lstm's table.

RUNS.tsv (written by run.sh) has one line per finished run: model, params,
valid and test perplexity, seconds, failed (yes/no).  Prints results.md: each
model's perplexities, its validation change against the full recipe, and the
paper's (Merity et al. 2018, Table 4: the full recipe 60.0 on validation; the
changes below are the paper's validation perplexity minus 60.0).  Writes
ROWS.tsv, the rows of results.json (experiments/README.md): valid and test
perplexity per model, the paper's validation perplexity beside ours where the
paper has the ablation.  Python's standard library only.
"""
import csv
import sys

PAPER_VALID = {"full": 60.0, "no-weight-drop": 71.1, "no-embed-dropout": 65.1, "no-ar-tar": 62.7,
               "no-variable-bptt": 61.3, "no-nt-asgd": 66.3}

runs_path, rows_path = sys.argv[1], sys.argv[2]
with open(runs_path, newline="") as f:
    runs = list(csv.DictReader(f, delimiter="\t"))
full = next((float(r["valid"]) for r in runs if r["model"] == "full"), None)

print("| model | parameters | valid ppl | test ppl | valid change vs full | paper's change | seconds |")
print("| --- | --- | --- | --- | --- | --- | --- |")
rows = []
for r in runs:
    valid, test = float(r["valid"]), float(r["test"])
    change = "%+.1f" % (valid - full) if full is not None and r["model"] != "full" else ""
    paper = PAPER_VALID.get(r["model"])
    paper_change = "%+.1f" % (paper - 60.0) if paper is not None and r["model"] != "full" else ""
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s | %s | %.2f | %.2f%s | %s | %s | %.0f |" % (
        r["model"], r["params"], valid, test, failed, change, paper_change, float(r["seconds"])))
    for metric, value, pv in (("valid perplexity", valid, paper), ("test perplexity", test, None)):
        rows.append([r["model"], "ptb-word", metric, "%.4f" % value, "true", "" if pv is None else "%.1f" % pv,
                     r["params"], "%.3f" % float(r["seconds"])])

with open(rows_path, "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
