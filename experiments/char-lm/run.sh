#!/bin/sh
# Character-level Penn Treebank: the tanh RNN, the multiplicative RNN
# (Sutskever et al. 2011), the LSTM, the multiplicative LSTM (Krause et al.
# 2016) and the Mogrifier LSTM (Melis et al. 2020, 5 rounds), each at the
# same parameter count and trained on the same budget.  The published
# directions to show: mRNN below the tanh RNN, mLSTM and the Mogrifier below
# the LSTM, in test bits per character.
#
#   sh experiments/char-lm/run.sh [--quick] [--out DIR] [--threads N]
#
#   --quick    about 200k parameters and 400 updates per model (minutes);
#              the full run: about 1M parameters and 1500 updates (an epoch)
#   --out DIR  where the runs, results.json, results.md and curves.svg go
#              (default experiments/char-lm/out, or out-quick with --quick)
#   --threads  threads per training run (default 2)
#
# The data: ../shared/data/ptb/ptb.char.{train,valid,test}.txt (or under
# RECUR_DATA), characters separated by spaces and '_' between words, read as
# tokens (--level word: one character a token, each line ending in <eos>,
# counted as a character as is usual for this set), so bits per token are
# bits per character.  Every model: one layer, an embedding of E (64 quick,
# 128 full), hidden size chosen so the whole model (embedding, cell, softmax
# head) has the target count; Adam at 2e-3, batch 32, windows of 100 steps
# with the state carried, gradient norm clipped to 1, validation every 100
# (quick) or 500 updates, the model best on validation kept and measured on
# test; seed 1 for all.  Resumable: run it again to continue.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=2
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
ptb="${RECUR_DATA:-$top/../shared/data}/ptb"
for s in train valid test; do
    if [ ! -f "$ptb/ptb.char.$s.txt" ]; then
        echo "run.sh: skipped: $ptb/ptb.char.$s.txt is absent (set RECUR_DATA to the data folder)"
        exit 0
    fi
done
if [ -n "$quick" ]; then
    target=200000 embed=64 steps=400 every=100
    out=${out:-$here/out-quick}
else
    target=1000000 embed=128 steps=1500 every=500
    out=${out:-$here/out}
fi
mkdir -p "$out/data" "$out/runs"
out=$(cd "$out" && pwd)
for s in train valid test; do # the reader finds train.txt, valid.txt, test.txt in a folder
    ln -sf "$ptb/ptb.char.$s.txt" "$out/data/$s.txt"
done

models="rnn_tanh mrnn lstm mlstm mogrifier"
# The hidden size of each model for the target count: embedding V E, the
# cell's weights for input E (every option at its default: the mRNN's and
# mLSTM's factors H, the Mogrifier's 5 full-rank rounds), head H V + V.
sizes=$(python3 - "$out/data/train.txt" "$target" "$embed" <<'PY'
import sys
path, target, E = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
V = len(set(open(path).read().split())) + 2          # + <unk>, <eos>
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
)
for m in $models; do
    H=$(echo "$sizes" | awk -v m="$m" '$1 == m { print $2 }')
    train_run "$out/runs/$m" --task lm --data "$out/data" --level word --cell "$m" --hidden "$H" \
        --embed "$embed" --optimizer adam --lr 2e-3 --batch 32 --bptt 100 --clip 1 --steps "$steps" \
        --eval-every "$every" --seed 1 --threads "$threads"
done

# Test bits per character of each model best on validation, and the table.
rows="$out/rows.tsv"
printf 'model\tsetting\tmetric\tvalue\tlower_is_better\tpaper_value\tparams\tseconds\n' > "$rows"
{
    echo "| model | hidden | parameters | valid bpc | test bpc | updates | seconds |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
} > "$out/results.md"
labels=
for m in $models; do
    run="$out/runs/$m"
    [ -f "$run/FAILED" ] && echo "run.sh: $m failed: $(cat "$run/FAILED")"
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    H=$(echo "$sizes" | awk -v m="$m" '$1 == m { print $2 }')
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    valid=$(awk -F, 'NR > 1 && $4 ~ /^[0-9]/ { if (m == "" || $4 + 0 < m + 0) m = $4 } END { printf "%.4f", m / log(2) }' "$run/log.csv")
    test=$("$recur" eval "$run/model.safetensors" --data "$out/data" --split test --batch 32 --bptt 100 \
        --threads "$threads" | sed -n 's/.* \([0-9.]*\) bits per word.*/\1/p')
    printf '%s\tptb-char\ttest bits per character\t%s\ttrue\t\t%s\t%s\n' "$m" "$test" "$params" "$seconds" >> "$rows"
    printf '%s\tptb-char\tvalid bits per character\t%s\ttrue\t\t%s\t%s\n' "$m" "$valid" "$params" "$seconds" >> "$rows"
    echo "| $m | $H | $params | $valid | $test | $steps | $seconds |" >> "$out/results.md"
    labels="$labels${labels:+,}$m"
done
"$recur" plot $(for m in $models; do echo "$out/runs/$m"; done) --labels "$labels" --ylabel "validation NLL (nats/char)" \
    --title "char-level Penn Treebank, $target parameters" -o "$out/curves.svg" > /dev/null
python3 "$top/experiments/lib/results_json.py" write --experiment char-lm \
    --paper "Krause et al. 2016 (mLSTM, arXiv:1609.07959), Melis et al. 2020 (Mogrifier LSTM, arXiv:1909.01792), Sutskever et al. 2011 (mRNN): character-level language modelling" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$rows" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
