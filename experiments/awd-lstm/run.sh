#!/bin/sh
# AWD-LSTM on word-level Penn Treebank at CPU scale (Merity et al. 2018,
# arXiv:1708.02182): the full recipe, the paper's Table 4 ablations (one
# regulariser removed at a time), a plain LSTM of the same shape, and the
# QRNN in the same recipe at the same parameter count.  The published
# direction to show: the full recipe beats every ablation, and removing
# the weight drop costs the most.
#
#   sh experiments/awd-lstm/run.sh [--quick] [--out DIR] [--models "M ..."] [--threads N]
#
#   --quick    widths 200,200,100 and an embedding of 100, trained on the
#              first 30k tokens of the training text, 200 updates per model
#              (about 10 minutes for all eight); the full run: widths
#              400,400,200, embedding 200, the whole training text, 6630
#              updates (10 epochs of 20 x 70 tokens) per model
#   --out DIR  where the runs, results.json, results.md and curves.svg go
#              (default experiments/awd-lstm/out, or out-quick with --quick)
#   --models   which of the models below to train (default all); the tables
#              cover every finished run
#   --threads  threads per training run (default 2)
#
# The models (flags on top of the recipe; see the README for the recipe):
#   full              every regulariser, NT-ASGD, variable BPTT
#   no-weight-drop    without DropConnect on W_hh          (paper: +11.1 valid)
#   no-embed-dropout  without embedding dropout             (paper: +5.1)
#   no-ar-tar         without AR and TAR                     (paper: +2.7)
#   no-variable-bptt  windows of exactly 70                  (paper: +1.3)
#   no-nt-asgd        plain SGD, no averaging                (paper: +6.3)
#   plain             the same network and optimiser, no regulariser at all
#   qrnn              qrnn_fo (window 2) in the full recipe, widths for the
#                     same parameter count
#
# The data: ../shared/data/ptb/ptb.{train,valid,test}.txt (or under
# RECUR_DATA), words as tokens, each line ending in <eos>.  Runs go to
# DIR/runs/MODEL; resumable: run it again to continue.  results.json holds
# every finished run's validation and test perplexity (its model best on
# validation; with NT-ASGD, the averaged weights once averaging started).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=2
all_models="full no-weight-drop no-embed-dropout no-ar-tar no-variable-bptt no-nt-asgd plain qrnn"
models=$all_models
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        --models) models=$2; shift ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
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
    H=200 E=100 steps=200 every=50 nonmono=3 quick_tokens=30000
    out=${out:-$here/out-quick}
else
    H=400 E=200 steps=6630 every=221 nonmono=5
    out=${out:-$here/out}
fi
mkdir -p "$out/data" "$out/runs"
out=$(cd "$out" && pwd)
for s in valid test; do # the reader finds train.txt, valid.txt, test.txt in a folder
    ln -sf "$ptb/ptb.$s.txt" "$out/data/$s.txt"
done
if [ -n "$quick" ]; then # the first tokens (words and line ends)
    awk -v n="$quick_tokens" '{ n -= NF + 1; print } n <= 0 { exit }' "$ptb/ptb.train.txt" > "$out/data/train.txt"
else
    ln -sf "$ptb/ptb.train.txt" "$out/data/train.txt"
fi

# The recipe (awd-lstm-lm's PTB command, at these widths): three layers,
# the last as wide as the tied embedding; SGD at 30 with gradient norm
# clipped to 0.25, batch 20, windows around 70; weight decay 1.2e-6.
recipe="--task lm --data $out/data --level word --embed $E --tie-weights --optimizer asgd --lr 30 --clip 0.25
    --weight-decay 1.2e-6 --batch 20 --bptt 70 --epochs 1000 --steps $steps --eval-every $every --checkpoint-every 200 --seed 1
    --threads $threads"
regs="--weight-drop 0.5 --dropout-embed 0.1 --dropout-input 0.4 --dropout-hidden 0.25 --dropout-output 0.4
    --ar 2 --tar 1"
schedule="--nt-asgd --nonmono $nonmono --variable-bptt"
lstm="--cell lstm --hidden-sizes $H,$H,$E"
# The QRNN's width for the LSTM's parameter count: an LSTM layer has
# 4H(I + H + 2) weights, a window-2 qrnn_fo layer 3H(2I) + 3H.
qrnn_width=$(python3 -c '
import sys
H, E = int(sys.argv[1]), int(sys.argv[2])
lstm = 4*H*(E+H+2) + 4*H*(H+H+2) + 4*E*(H+E+2)
best = min(range(1, 4*H), key=lambda q: abs(3*q*2*E + 3*q + 3*q*2*q + 3*q + 3*E*2*q + 3*E - lstm))
print(best)' "$H" "$E")

flags() { # the model's flags after the recipe
    case "$1" in
        full) echo "$lstm $regs $schedule" ;;
        no-weight-drop) echo "$lstm $(echo $regs | sed 's/--weight-drop 0.5//') $schedule" ;;
        no-embed-dropout) echo "$lstm $(echo $regs | sed 's/--dropout-embed 0.1//') $schedule" ;;
        no-ar-tar) echo "$lstm $(echo $regs | sed 's/--ar 2 --tar 1//') $schedule" ;;
        no-variable-bptt) echo "$lstm $regs --nt-asgd --nonmono $nonmono" ;;
        no-nt-asgd) echo "$lstm $regs --variable-bptt" ;;
        plain) echo "$lstm $schedule" ;;
        qrnn) echo "--cell qrnn_fo --hidden-sizes $qrnn_width,$qrnn_width,$E $regs $schedule" ;;
    esac
}

for m in $models; do
    # shellcheck disable=SC2046
    train_run "$out/runs/$m" $recipe $(flags "$m")
done

# Each finished run's validation and test perplexity (its model best on
# validation), then the table.
runs="$out/runs.tsv"
printf 'model\tparams\tvalid\ttest\tseconds\tfailed\n' > "$runs"
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
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$params" "$valid" "$test" "$seconds" \
        "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$runs"
done
python3 "$here/tables.py" "$runs" "$out/rows.tsv" > "$out/results.md"
done_models=$(for m in $all_models; do if [ -f "$out/runs/$m/DONE" ]; then echo "$m"; fi; done)
if [ -n "$done_models" ]; then
    "$recur" plot $(for m in $done_models; do echo "$out/runs/$m"; done) --labels "$(echo $done_models | tr ' ' ,)" \
        --ylabel "validation NLL (nats/word)" --title "word-level Penn Treebank, AWD-LSTM ablations" \
        -o "$out/curves.svg" > /dev/null
fi
python3 "$top/experiments/lib/results_json.py" write --experiment awd-lstm \
    --paper "Merity et al. 2018 (AWD-LSTM, arXiv:1708.02182), Table 4 ablations on Penn Treebank" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
