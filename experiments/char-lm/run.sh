#!/bin/sh
# Character-level Penn Treebank: the tanh RNN, the multiplicative RNN
# (Sutskever et al. 2011), the LSTM, the multiplicative LSTM (Krause et al.
# 2016) and the Mogrifier LSTM (Melis et al. 2020, 5 rounds), each at the
# same parameter count and trained on the same budget.  The published
# directions to show: mRNN below the tanh RNN, mLSTM and the Mogrifier below
# the LSTM, in test bits per character.  Then the same five models trained on
# Tiny Shakespeare, and a sample from each.
#
#   sh experiments/char-lm/run.sh [--quick] [--out DIR] [--seeds "S ..."] [--models "M ..."]
#                                 [--threads N]
#
#   --quick    about 200k parameters and 400 updates per model, one seed, no
#              Tiny Shakespeare (minutes); the full run: about 1M parameters
#              and 1500 updates (an epoch) per model and seed, then 1000
#              updates on Tiny Shakespeare per model
#   --out DIR  where the runs, results.json, results.md, curves.svg and
#              samples.md go (default experiments/char-lm/out, or out-quick
#              with --quick)
#   --seeds    the seeds of the Penn Treebank runs (default "1 2 3"; quick "1")
#   --models   which of rnn_tanh mrnn lstm mlstm mogrifier to train (default
#              all); the tables cover every finished run of any of them
#   --threads  threads per training run (default 2)
#
# The data: ../shared/data/ptb/ptb.char.{train,valid,test}.txt (or under
# RECUR_DATA), characters separated by spaces and '_' between words, read as
# tokens (--level word: one character a token, each line ending in <eos>,
# counted as a character as is usual for this set), so bits per token are
# bits per character; and ../shared/data/tinyshakespeare/input.txt, read as
# characters, its last tenth held out for validation.  Every model: one
# layer, an embedding of E (64 quick, 128 full), hidden size chosen so the
# whole model (embedding, cell, softmax head) has the target count; Adam at
# 2e-3, batch 32, windows of 100 steps with the state carried, gradient norm
# clipped to 1, validation every 100 (quick) or 500 (Shakespeare 250)
# updates, the model best on validation kept and measured on test.  Runs go
# to DIR/runs/seedS/MODEL and DIR/shakespeare/MODEL.  Resumable: run it
# again to continue.  results.json holds every finished run (test and
# valid bits per character on PTB, seed by seed and their mean; valid bits
# per character on Tiny Shakespeare).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=2
seeds=
all_models="rnn_tanh mrnn lstm mlstm mogrifier"
models=$all_models
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        --seeds) seeds=$2; shift ;;
        --models) models=$2; shift ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
for s in $seeds; do
    case "$s" in
        *[!0-9]*) echo "run.sh: --seeds takes whole numbers, not '$s'" >&2; exit 2 ;;
    esac
done
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
    target=200000 embed=64 steps=400 every=100 seeds=${seeds:-1}
    out=${out:-$here/out-quick}
else
    target=1000000 embed=128 steps=1500 every=500 seeds=${seeds:-1 2 3}
    out=${out:-$here/out}
fi
[ -n "$seeds" ] || { echo "run.sh: --seeds is empty" >&2; exit 2; }
mkdir -p "$out/data" "$out/runs"
out=$(cd "$out" && pwd)
for s in train valid test; do # the reader finds train.txt, valid.txt, test.txt in a folder
    ln -sf "$ptb/ptb.char.$s.txt" "$out/data/$s.txt"
done

# sizes V: the hidden size of each model for the target count with a
# vocabulary of V: embedding V E, the cell's weights for input E (every
# option at its default: the mRNN's and mLSTM's factors H, the Mogrifier's
# 5 full-rank rounds), head H V + V.
sizes() {
    python3 - "$1" "$target" "$embed" <<'PY'
import sys
V, target, E = (int(a) for a in sys.argv[1:])
cell = {
    "rnn_tanh": lambda H: H * E + H * H + 2 * H,
    "mrnn": lambda H: 2 * H * E + 2 * H * H + H,
    "lstm": lambda H: 4 * H * E + 4 * H * H + 8 * H,
    "mlstm": lambda H: 5 * H * E + 5 * H * H + 4 * H,
    "mogrifier": lambda H: 9 * H * E + 4 * H * H + 8 * H,
}
for name, f in cell.items():
    H = min(range(1, 4096), key=lambda h: abs(V * E + f(h) + h * V + V - target))
    print(name, H)
PY
}
hidden() { echo "$1" | awk -v m="$2" '$1 == m { print $2 }'; }
# Penn Treebank's vocabulary: its symbols, <unk> and <eos>.
ptb_sizes=$(sizes "$(python3 -c 'import sys; print(len(set(open(sys.argv[1]).read().split())) + 2)' "$out/data/train.txt")")

for seed in $seeds; do
    for m in $models; do
        train_run "$out/runs/seed$seed/$m" --task lm --data "$out/data" --level word --cell "$m" \
            --hidden "$(hidden "$ptb_sizes" "$m")" --embed "$embed" --optimizer adam --lr 2e-3 --batch 32 \
            --bptt 100 --clip 1 --steps "$steps" --eval-every "$every" --seed "$seed" --threads "$threads"
    done
done

# Each finished run's test bits per character (its model best on
# validation), then the tables: every run, and each model's mean over its
# seeds.
runs="$out/runs.tsv"
printf 'model\tseed\thidden\tparams\tvalid\ttest\tseconds\tfailed\n' > "$runs"
done_seeds=$(cd "$out/runs" && ls -d seed* 2>/dev/null | sed 's/^seed//' | sort -n)
for seed in $done_seeds; do
    for m in $all_models; do
        run="$out/runs/seed$seed/$m"
        [ -f "$run/DONE" ] || continue
        [ -f "$run/FAILED" ] && echo "run.sh: $m, seed $seed failed: $(cat "$run/FAILED")"
        params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
        seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
        valid=$(awk -F, 'NR > 1 && $4 ~ /^[0-9]/ { if (m == "" || $4 + 0 < m + 0) m = $4 } END { printf "%.4f", m / log(2) }' "$run/log.csv")
        test=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split test --batch 32 --bptt 100 \
            --threads "$threads" | sed -n 's/.* \([0-9.]*\) bits per word.*/\1/p')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$seed" "$(hidden "$ptb_sizes" "$m")" "$params" "$valid" \
            "$test" "$seconds" "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$runs"
    done
done
python3 "$here/tables.py" "$runs" "$steps" "$out/rows.tsv" > "$out/results.md"
first=$(echo $done_seeds | cut -d' ' -f1)
curves=$(for m in $all_models; do [ -f "$out/runs/seed$first/$m/DONE" ] && echo "$m"; done)
"$recur" plot $(for m in $curves; do echo "$out/runs/seed$first/$m"; done) --labels "$(echo $curves | tr ' ' ,)" \
    --ylabel "validation NLL (nats/char)" --title "char-level Penn Treebank, $target parameters, seed $first" \
    -o "$out/curves.svg" > /dev/null

write_results() {
    python3 "$top/experiments/lib/results_json.py" write --experiment char-lm \
        --paper "Krause et al. 2016 (mLSTM, arXiv:1609.07959), Melis et al. 2020 (Mogrifier LSTM, arXiv:1909.01792), Sutskever et al. 2011 (mRNN): character-level language modelling" \
        --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
    cat "$out/results.md"
    echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
}

# Tiny Shakespeare: each model at the same count, 1000 updates (3.5 epochs
# of its 1.0M training characters), then 500 characters sampled after the
# prompt "ROMEO:" (temperature 1, seed 1); its validation bits per
# character join the results.
shakespeare="$data/tinyshakespeare/input.txt"
if [ -n "$quick" ] || [ ! -f "$shakespeare" ]; then
    [ -z "$quick" ] && echo "run.sh: samples skipped: $shakespeare is absent"
    write_results
    exit 0
fi
# Its vocabulary: its characters and <unk>.
ts_sizes=$(sizes "$(python3 -c 'import sys; print(len(set(open(sys.argv[1]).read())) + 1)' "$shakespeare")")
{
    echo "# Samples: the five models trained on Tiny Shakespeare"
    echo
    echo "Each model about $target parameters, 1000 updates of 32 x 100 characters"
    echo "(Adam 2e-3, seed 1), its model best on the held-out last tenth; 500"
    echo "characters after the prompt \"ROMEO:\", temperature 1, sampling seed 1."
} > "$out/samples.md"
shakes_rows=
for m in $all_models; do
    run="$out/shakespeare/$m"
    train_run "$run" --task lm --data "$shakespeare" --level char --cell "$m" \
        --hidden "$(hidden "$ts_sizes" "$m")" --embed "$embed" --optimizer adam --lr 2e-3 --batch 32 \
        --bptt 100 --clip 1 --steps 1000 --eval-every 250 --seed 1 --threads "$threads"
    valid=$(awk -F, 'NR > 1 && $4 ~ /^[0-9]/ { if (m == "" || $4 + 0 < m + 0) m = $4 } END { printf "%.4f", m / log(2) }' "$run/log.csv")
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    printf '%s\ttinyshakespeare\tvalid bits per character\t%s\ttrue\t\t%s\t%s\n' "$m" "$valid" "$params" \
        "$seconds" >> "$out/rows.tsv"
    shakes_rows="$shakes_rows| $m | $(hidden "$ts_sizes" "$m") | $params | $valid | $seconds |
"
    {
        echo
        echo "## $m (hidden $(hidden "$ts_sizes" "$m"), validation $valid bits per character)"
        echo
        echo '```'
        "$recur" sample "$run/model.safetensors" --length 500 --prime "ROMEO:" --seed 1
        echo '```'
    } >> "$out/samples.md"
done
{
    echo
    echo "Tiny Shakespeare (the last tenth held out), 1000 updates, seed 1:"
    echo
    echo "| model | hidden | parameters | valid bpc | seconds |"
    echo "| --- | --- | --- | --- | --- |"
    printf '%s' "$shakes_rows"
} >> "$out/results.md"
write_results
echo "wrote $out/samples.md"
