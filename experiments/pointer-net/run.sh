#!/bin/sh
# The Pointer Network (Vinyals, Fortunato & Jaitly 2015, arXiv:1506.03134,
# sections 4.2 and 4.3) on planar convex hulls and the travelling salesman
# problem.  The direction to show: a network whose outputs are positions of
# its input answers hulls of sizes it never saw (trained on 5 to 10 points,
# tested on 20 and 50) with nearly the whole area covered, where the
# sequence-to-sequence baseline (a softmax over the 11 positions it was
# trained with) cannot; and it finds tours of 5 and 10 points close to the
# optimal ones.
#
#   sh experiments/pointer-net/run.sh [--quick] [--out DIR] [--threads N]
#
#   --quick    4,000 updates for the hulls, 3,000 for 5-point and 2,000
#              for 10-point tours (the full run's flags and seed otherwise:
#              the first stretch of the same curves), about 10 minutes
#   --out DIR  where the runs, results.json, results.md and curves go
#              (default experiments/pointer-net/out, or out-quick)
#   --threads  threads per training run (default 1; two run side by side)
#
# Every model: the library's pointer model, LSTM encoder and decoder of 128
# units (paper: 256 or 512), Adam at 3e-3 (paper: SGD at 1.0), batch 128,
# the gradient's norm clipped to 5 (paper: 2), seed 1; every epoch 12,800
# new examples (recur train's synthetic tasks), validation on 512 of a
# fixed seed after each.  hull: 5-10 points, 20,000 updates; seq2seq: the
# same task and budget for the baseline (--model seq2seq: no attention, a
# softmax over positions 0..10); tsp5: 5 points, 10,000; tsp10: 10 points,
# 20,000.  Tests on recur eval's fixed test seed,
# 1,000 examples per size: hulls at 5, 10, 20 and 50 points, greedily and
# by a beam of 4; tours at 5 and 10 points, greedily and by a beam of 8
# (valid tours only).  Runs go to DIR/runs/MODEL; resumable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
case "$threads" in ''|0|*[!0-9]*) echo "run.sh: --threads takes a positive number, not '$threads'" >&2; exit 2 ;; esac
if [ -n "$quick" ]; then
    out=${out:-$here/out-quick}
else
    out=${out:-$here/out}
fi
models="hull seq2seq tsp5 tsp10"
steps() { case "$1" in hull|seq2seq) [ -n "$quick" ] && echo 4000 || echo 20000 ;;
    tsp5) [ -n "$quick" ] && echo 3000 || echo 10000 ;; tsp10) [ -n "$quick" ] && echo 2000 || echo 20000 ;; esac; }
task() { case "$1" in hull) echo "--task convex-hull --length 5-10" ;;
    seq2seq) echo "--task convex-hull --length 5-10 --model seq2seq" ;;
    tsp5) echo "--task tsp --length 5" ;; tsp10) echo "--task tsp --length 10" ;; esac; }
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)

run_one() { # model
    # shellcheck disable=SC2046
    train_run "$out/runs/$1" $(task "$1") --cell lstm --hidden 128 --batch 128 --optimizer adam --lr 3e-3 --clip 5 \
        --steps "$(steps "$1")" --epochs 1000 --train-size 12800 --valid-size 512 --checkpoint-every 500 \
        --log-every 0 --seed 1 --threads "$threads"
}
{ run_one hull; run_one tsp5; } &
run_one seq2seq
run_one tsp10
wait

# the figures of one recur eval line
figure() { # text, sed pattern with one group
    echo "$1" | sed -n "s/$2/\1/p" | head -n 1
}
rows="$out/runs.tsv"
printf 'model\tparams\tpoints\tbeam\texact\tcoverage\tinvalid\ttour\toptimal\tright\tseconds\tfailed\n' > "$rows"
for m in $models; do
    run="$out/runs/$m"
    [ -f "$run/DONE" ] || continue
    [ -f "$run/FAILED" ] && echo "run.sh: $m failed: $(cat "$run/FAILED")"
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    case "$m" in hull|seq2seq) sizes="5 10 20 50"; beams="1 4" ;; *) sizes="5 10"; beams="1 8" ;; esac
    for n in $sizes; do
        for beam in $beams; do
            ev=$("$recur" eval "$run" --length "$n" --size 1000 --beam "$beam" --threads "$threads")
            exact=$(figure "$ev" '.* \([0-9.]*\)% of \(hulls exact\|tours optimal\).*')
            coverage=$(figure "$ev" '.*area coverage \([0-9.na]*\)%.*')
            invalid=$(figure "$ev" '.*; \([0-9.]*\)% invalid.*')
            tour=$(figure "$ev" '.*mean tour length \([0-9.]*\),.*')
            optimal=$(figure "$ev" '.*, optimal \([0-9.]*\) .*')
            right=$(figure "$ev" '.* \([0-9.]*\)% of pointers right.*')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$params" "$n" "$beam" "$exact" \
                "${coverage:-}" "${invalid:-}" "${tour:-}" "${optimal:-}" "$right" "$seconds" \
                "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$rows"
        done
    done
done
done_models=$(for m in $models; do if [ -f "$out/runs/$m/DONE" ]; then echo "$m"; fi; done)
if [ -n "$done_models" ]; then
    # shellcheck disable=SC2046
    "$recur" plot $(for m in $done_models; do echo "$out/runs/$m"; done) --labels "$(echo $done_models | tr ' ' ,)" \
        --x update --ylabel "validation cross-entropy (nats per pointer)" --title "Pointer Networks" \
        -o "$out/curves.svg" > /dev/null
fi
python3 - "$rows" "$out/rows.tsv" > "$out/results.md" <<'PY'
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"))
# the paper's Table 1 (a Ptr-Net trained on 5-50 points; the LSTM baseline trained on 5, or on 10,
# points alone) and Table 2 (each n its own model)
hull_paper = {"5": "92.0", "10": "87.0", "50": "69.6"}
area_paper = {"5": "99.9", "10": "99.8", "50": "99.9"}
seq2seq_paper = {"5": "87.7", "10": "29.9"}
seq2seq_area = {"5": "99.6"}
tour_paper = {("tsp5", "5"): "2.12", ("tsp10", "10"): "2.88"}
optimal_paper = {"5": "2.12", "10": "2.87"}
rows = []
print("| model | parameters | points | decoding | hulls exact / tours optimal | area coverage | invalid | mean tour | optimal tour | training seconds |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in runs:
    trained = {"hull": range(5, 11), "seq2seq": range(5, 11), "tsp5": [5], "tsp10": [10]}[r["model"]]
    setting = "%s points%s, %s" % (r["points"], " (trained)" if int(r["points"]) in trained else "",
                                   "greedy" if r["beam"] == "1" else "beam %s" % r["beam"])
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s%s | %s | %s | %s | %s%% | %s | %s | %s | %s | %.0f |" % (
        r["model"], failed, r["params"], r["points"], setting.split(", ")[1], r["exact"],
        r["coverage"] + "%" if r["coverage"] else "", r["invalid"] + "%" if r["invalid"] else "",
        r["tour"], r["optimal"], float(r["seconds"])))
    common = [r["params"], "%.3f" % float(r["seconds"])]
    if r["model"] in ("hull", "seq2seq"):
        exact_paper, area = (hull_paper, area_paper) if r["model"] == "hull" else (seq2seq_paper, seq2seq_area)
        rows.append([r["model"], setting, "hulls exact (%)", r["exact"], "false",
                     exact_paper.get(r["points"], "") if r["beam"] == "1" else ""] + common)
        if r["coverage"] not in ("", "nan"):
            rows.append([r["model"], setting, "area coverage of valid answers (%)", r["coverage"], "false",
                         area.get(r["points"], "") if r["beam"] == "1" else ""] + common)
        rows.append([r["model"], setting, "invalid answers (%)", r["invalid"], "true", ""] + common)
    else:
        paper = tour_paper.get((r["model"], r["points"]), "") if r["beam"] != "1" else ""
        rows.append([r["model"], setting, "mean tour length", r["tour"], "true", paper] + common)
        rows.append([r["model"], setting, "optimal tour length", r["optimal"], "true",
                     optimal_paper.get(r["points"], "") if r["beam"] != "1" else ""] + common)
        rows.append([r["model"], setting, "tours optimal (%)", r["exact"], "false", ""] + common)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
PY
python3 "$top/experiments/lib/results_json.py" write --experiment pointer-net \
    --paper "Vinyals, Fortunato & Jaitly 2015, Pointer Networks (arXiv:1506.03134), Tables 1 and 2" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
