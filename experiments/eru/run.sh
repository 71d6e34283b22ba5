#!/bin/sh
# The efficient recurrent units of Mehta et al. on word-level Penn Treebank:
# the PRU (Pyramidal Recurrent Unit, EMNLP 2018, arXiv:1808.09029) against
# the LSTM at the same parameter count, in the PRU reference code's recipe.
# The ERU of ESPNetv2 (arXiv:1811.11431) has no public code and its paper
# leaves its form open; the PRU is the same authors' documented reading of
# the transform (docs/notes/pru-eru.md, the README here).  The published
# direction to show: at equal parameters the PRU's perplexity is lower
# (reference README, ~19 M parameters: LSTM 66.05, PRU 62.62 test).
#
#   sh experiments/eru/run.sh [--quick] [--out DIR] [--models "M ..."] [--threads N]
#
#   --quick    an embedding of 100, about 1.7M parameters, trained on the
#              first 30k tokens of the training text, 200 updates per model
#              (minutes); the full run: an embedding of 200, about 4.7M
#              parameters, the whole training text, 6630 updates (10 epochs
#              of 20 x 70 tokens) per model
#   --out DIR  where the runs, results.json, results.md and curves.svg go
#              (default experiments/eru/out, or out-quick with --quick)
#   --models   which of lstm pru to train (default both)
#   --threads  threads per training run (default 2)
#
# Both models: three layers E -> H -> H -> E, the last as wide as the
# embedding it is tied to; H chosen per model for the LSTM's parameter count
# at H_lstm = 2E (the PRU: levels 2, groups 4, the reference's PTB setting).
# The reference's recipe (sacmehta/PRU main.py): ordinary dropout 0.4 on
# the embedding, between layers and on the output; SGD at 30, gradient norm
# clipped to 0.25, batch 20, windows around 70 (variable), weight decay
# 1.2e-6, AR 2 and TAR 1, NT-ASGD.  Seed 1.  The data:
# ../shared/data/ptb/ptb.{train,valid,test}.txt (or under RECUR_DATA).
# Runs go to DIR/runs/MODEL; resumable: run it again to continue.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=2
all_models="lstm pru"
models=$all_models
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        --models) models=$2; shift ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
for m in $models; do
    case " $all_models " in
        *" $m "*) ;;
        *) echo "run.sh: --models: '$m' is not one of $all_models" >&2; exit 2 ;;
    esac
done
data="${RECUR_DATA:-$top/../shared/data}"
ptb="$data/ptb"
for s in train valid test; do
    if [ ! -f "$ptb/ptb.$s.txt" ]; then
        echo "run.sh: skipped: $ptb/ptb.$s.txt is absent (set RECUR_DATA to the data folder)"
        exit 0
    fi
done
if [ -n "$quick" ]; then
    E=100 steps=200 every=50 nonmono=3 quick_tokens=30000
    out=${out:-$here/out-quick}
else
    E=200 steps=6630 every=221 nonmono=5
    out=${out:-$here/out}
fi
mkdir -p "$out/data" "$out/runs"
out=$(cd "$out" && pwd)
for s in valid test; do
    ln -sf "$ptb/ptb.$s.txt" "$out/data/$s.txt"
done
if [ -n "$quick" ]; then # the first tokens (words and line ends)
    awk -v n="$quick_tokens" '{ n -= NF + 1; print } n <= 0 { exit }' "$ptb/ptb.train.txt" > "$out/data/train.txt"
else
    ln -sf "$ptb/ptb.train.txt" "$out/data/train.txt"
fi

# The widths: the LSTM's H = 2E; the PRU's the multiple of 4 (its levels
# and groups need one) whose three layers come closest to the LSTM's count.
sizes=$(python3 - "$E" <<'PY'
import sys
E = int(sys.argv[1])
def lstm(I, H):
    return 4 * H * (I + H) + 8 * H
def pru(I, H, K=2, g=4):
    outs = [H >> (l + 1) for l in range(1, K)]
    outs = [H - sum(outs)] + outs
    return sum(4 * o * ((I >> l) + 1) for l, o in enumerate(outs)) + 4 * H * H // g + 4 * H
H = 2 * E
target = lstm(E, H) + lstm(H, H) + lstm(H, E)
P = min(range(8, 8 * E, 4), key=lambda h: abs(pru(E, h) + pru(h, h) + pru(h, E) - target))
print("lstm", H)
print("pru", P)
PY
)
hidden() { echo "$sizes" | awk -v m="$1" '$1 == m { print $2 }'; }
recipe="--task lm --data $out/data --level word --embed $E --tie-weights --dropout 0.4 --layer-dropout 0.4
    --optimizer asgd --nt-asgd --nonmono $nonmono --lr 30 --clip 0.25 --weight-decay 1.2e-6 --batch 20 --bptt 70
    --variable-bptt --ar 2 --tar 1 --epochs 1000 --steps $steps --eval-every $every --checkpoint-every 200 --seed 1
    --threads $threads"
for m in $models; do
    H=$(hidden "$m")
    # shellcheck disable=SC2086
    train_run "$out/runs/$m" $recipe --cell "$m" --hidden-sizes "$H,$H,$E"
done

runs="$out/runs.tsv"
printf 'model\thidden\tparams\tvalid\ttest\tseconds\tfailed\n' > "$runs"
for m in $all_models; do
    run="$out/runs/$m"
    [ -f "$run/DONE" ] || continue
    [ -f "$run/FAILED" ] && echo "run.sh: $m failed: $(cat "$run/FAILED")"
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    valid=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split valid --batch 10 --bptt 70 \
        --threads "$threads" | sed -n 's/.*perplexity \([0-9.]*\).*/\1/p')
    test=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split test --batch 10 --bptt 70 \
        --threads "$threads" | sed -n 's/.*perplexity \([0-9.]*\).*/\1/p')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$(hidden "$m")" "$params" "$valid" "$test" "$seconds" \
        "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$runs"
done
python3 - "$runs" "$out/rows.tsv" > "$out/results.md" <<'PY'
import csv, sys
PAPER_TEST = {"lstm": 66.05, "pru": 62.62}  # sacmehta/PRU README, ~19 M parameters, standard dropout
runs = list(csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"))
print("| model | hidden | parameters | valid ppl | test ppl | reference test ppl (~19 M) | seconds |")
print("| --- | --- | --- | --- | --- | --- | --- |")
rows = []
for r in runs:
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s | %s | %s | %.2f | %.2f%s | %.2f | %.0f |" % (r["model"], r["hidden"], r["params"], float(r["valid"]),
          float(r["test"]), failed, PAPER_TEST[r["model"]], float(r["seconds"])))
    for metric, key in (("valid perplexity", "valid"), ("test perplexity", "test")):
        # paper_value null: the reference figures are its README's, at ~19 M parameters, not the paper's
        rows.append([r["model"], "ptb-word", metric, "%.4f" % float(r[key]), "true", "", r["params"],
                     "%.3f" % float(r["seconds"])])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
PY
done_models=$(for m in $all_models; do if [ -f "$out/runs/$m/DONE" ]; then echo "$m"; fi; done)
if [ -n "$done_models" ]; then
    "$recur" plot $(for m in $done_models; do echo "$out/runs/$m"; done) --labels "$(echo $done_models | tr ' ' ,)" \
        --ylabel "validation NLL (nats/word)" --title "word-level Penn Treebank, PRU against LSTM" \
        -o "$out/curves.svg" > /dev/null
fi
python3 "$top/experiments/lib/results_json.py" write --experiment eru \
    --paper "Mehta et al. 2018 (PRU, arXiv:1808.09029; reference README numbers), for ESPNetv2's ERU (arXiv:1811.11431)" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
