#!/bin/sh
# The SHA-RNN (Merity 2019, arXiv:1911.11423) on character-level Penn
# Treebank: four blocks of LSTM, layer norms and the Boom feed-forward,
# with and without the single attention head over the carried memory, at
# the same parameter count (within 5 %).  The published direction to show:
# lower bits per character with the head (the paper, enwik8 at 51-52 M
# parameters: 1.33 without attention against 1.076 with it, Table 1 and its
# ablation).
#
#   sh experiments/sha-rnn/run.sh [--quick] [--out DIR] [--models "M ..."] [--threads N]
#
#   --quick    width 64, windows of 64, memory 192, 1000 updates per model
#              (minutes); the full run: width 160, windows of 128, memory
#              512, 3000 updates per model
#   --out DIR  where the runs, results.json, results.md and curves.svg go
#              (default experiments/sha-rnn/out, or out-quick with --quick)
#   --models   which of sha no-attention to train (default both)
#   --threads  threads per training run (default 2)
#
# Both models: four blocks (--sha-rnn --layers 4), the Boom 4 times the
# width, tied embedding and output; the model without the head gets the
# width whose count comes closest to the SHA-RNN's.  Adam at 2e-3 (the
# reference uses LAMB; recur has no LAMB), gradient norm clipped to 0.25,
# batch 16, dropout 0.1 on embeddings, output and inside the blocks (the
# reference's enwik8 setting), seed 1; the model best on validation kept and
# measured on test.  The data: ../shared/data/ptb/ptb.char.{train,valid,test}.txt
# (or under RECUR_DATA), characters as tokens (--level word, as
# experiments/char-lm).  Runs go to DIR/runs/MODEL; resumable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=2
all_models="sha no-attention"
models=$all_models
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        --models) models=$2; shift ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
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
    if [ ! -f "$ptb/ptb.char.$s.txt" ]; then
        echo "run.sh: skipped: $ptb/ptb.char.$s.txt is absent (set RECUR_DATA to the data folder)"
        exit 0
    fi
done
if [ -n "$quick" ]; then
    E=64 bptt=64 memory=192 steps=1000 every=250
    out=${out:-$here/out-quick}
else
    E=160 bptt=128 memory=512 steps=3000 every=500
    out=${out:-$here/out}
fi
mkdir -p "$out/data" "$out/runs"
out=$(cd "$out" && pwd)
for s in train valid test; do
    ln -sf "$ptb/ptb.char.$s.txt" "$out/data/$s.txt"
done
V=$(python3 -c 'import sys; print(len(set(open(sys.argv[1]).read().split())) + 2)' "$out/data/train.txt")
# The count of a SHA-RNN of width e (four LSTM blocks e -> e, Booms of 4e,
# layer norms; with the head: the query map, its norm, gates, the value
# gate's map and two norms), tied embedding V e and output bias V.
width=$(python3 - "$E" "$V" <<'PY'
import sys
E, V = int(sys.argv[1]), int(sys.argv[2])
def count(e, attention):
    block = (8 * e * e + 8 * e) + (4 * e * e + 4 * e) + 3 * 2 * e
    head = (e * e + e) + 2 * e + 3 * e + (2 * e * e + 2 * e) + 2 * 2 * e if attention else 0
    return 4 * block + head + V * e + V
target = count(E, True)
print(min(range(8, 4 * E), key=lambda e: abs(count(e, False) - target)))
PY
)
recipe="--task lm --data $out/data --level word --sha-rnn --layers 4 --tie-weights --optimizer adam --lr 2e-3
    --clip 0.25 --batch 16 --bptt $bptt --dropout 0.1 --layer-dropout 0.1 --epochs 1000 --steps $steps
    --eval-every $every --checkpoint-every 200 --seed 1 --threads $threads"
for m in $models; do
    case "$m" in
        sha) w=$E; flags="--sha-memory $memory" ;;
        no-attention) w=$width; flags="--sha-no-attention" ;;
    esac
    # shellcheck disable=SC2086
    train_run "$out/runs/$m" $recipe --hidden "$w" --embed "$w" --sha-ff $((4 * w)) $flags
done

runs="$out/runs.tsv"
printf 'model\twidth\tparams\tvalid\ttest\tseconds\tfailed\n' > "$runs"
for m in $all_models; do
    run="$out/runs/$m"
    [ -f "$run/DONE" ] || continue
    [ -f "$run/FAILED" ] && echo "run.sh: $m failed: $(cat "$run/FAILED")"
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    w=$(awk 'prev == "--hidden" { print; exit } { prev = $0 }' "$run/args.txt") # one argument a line
    valid=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split valid --batch 16 --bptt "$bptt" \
        --threads "$threads" | sed -n 's/.* \([0-9.]*\) bits per word.*/\1/p')
    test=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split test --batch 16 --bptt "$bptt" \
        --threads "$threads" | sed -n 's/.* \([0-9.]*\) bits per word.*/\1/p')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$w" "$params" "$valid" "$test" "$seconds" \
        "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$runs"
done
python3 - "$runs" "$out/rows.tsv" > "$out/results.md" <<'PY'
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"))
print("| model | width | parameters | valid bpc | test bpc | seconds |")
print("| --- | --- | --- | --- | --- | --- |")
rows = []
for r in runs:
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s | %s | %s | %s | %s%s | %.0f |" % (r["model"], r["width"], r["params"], r["valid"], r["test"], failed,
                                                float(r["seconds"])))
    for metric, key in (("valid bits per character", "valid"), ("test bits per character", "test")):
        rows.append([r["model"], "ptb-char", metric, r[key], "true", "", r["params"], "%.3f" % float(r["seconds"])])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
PY
done_models=$(for m in $all_models; do if [ -f "$out/runs/$m/DONE" ]; then echo "$m"; fi; done)
if [ -n "$done_models" ]; then
    "$recur" plot $(for m in $done_models; do echo "$out/runs/$m"; done) --labels "$(echo $done_models | tr ' ' ,)" \
        --ylabel "validation NLL (nats/char)" --title "char-level Penn Treebank, SHA-RNN with and without its head" \
        -o "$out/curves.svg" > /dev/null
fi
python3 "$top/experiments/lib/results_json.py" write --experiment sha-rnn \
    --paper "Merity 2019 (SHA-RNN, arXiv:1911.11423): the attention head's gain in bits per character" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
