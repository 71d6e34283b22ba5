#!/bin/sh
# The speech half of Chung et al. 2014, on a public substitute: the paper's
# raw-audio task (its Ubisoft data sets are private) run on the Free Spoken
# Digit Dataset (../shared/data/fsdd: 3,000 clips of 8 kHz, 16-bit speech).
#
#   sh experiments/chung2014/speech.sh [--quick] [--out DIR] [--jobs N] [--runs DIR] [--epochs N]
#
#   --quick    one rate (1e-3), 3 epochs per unit: a check that runs in a few
#              minutes; its table goes to results_speech_quick.md
#   --out DIR  where the results go: DIR/results.json (the experiment
#              contract's rows, experiments/README.md), DIR/results.md and
#              .csv, DIR/figures/ and, unless --runs says otherwise, DIR/runs/.
#              Without it: experiments/chung2014/results_speech.json, .md,
#              .csv (results_speech_quick.* for --quick), figures/speech_*
#              (speech_quick_*) and runs-speech/ (runs-speech-quick/)
#   --jobs N   runs at a time (default 2: one per core)
#   --runs D   where the runs go (default experiments/chung2014/runs-speech)
#   --epochs N at most N epochs per run (default 25)
#
# Every run is resumable: started again, an interrupted grid continues.  Then
# results_speech.md and .json hold the table and figures/speech_*.svg the
# curves.  Without the recordings (../shared/data/fsdd beside the checkout,
# or $RECUR_DATA/fsdd) the script says so and exits 0 having done nothing.
#
# The task, as the paper's Section 4.2: at each step the network reads 20
# consecutive samples and predicts the next 10, each by a mixture of 20
# Gaussians (recur train --task audio --window 20 --hop 10 --mixtures 20);
# the window then moves by 10, so the samples just predicted are read next.
# Units as the paper's ~170k-parameter speech models: tanh RNN 400, GRU 227
# (reset before the recurrent matrix), LSTM 195 with peepholes.
# Data: samples in [-1, 1), dequantized once (uniform noise one 16-bit step
# wide, fixed seed), so the NLL is of a continuous density; FSDD's official
# split (takes 0-4 of every digit and speaker are the test set), with takes
# 5-9 held out for validation and 10-49 for training (2,400 clips).
# Training (not the paper's, which is not given for this data; chosen for a
# budget of ~25 epochs): Adam, 32 clips per update grouped by length (runs of
# 50 batches sorted), the gradient's norm clipped to 1, the rate halved after
# 2 epochs without improvement, early stopping after 5; the starting rate
# chosen on validation from 1e-3 and 3e-3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="${RECUR:-$top/build/recur}"
. "$here/lib.sh"
data="${RECUR_DATA:-$top/../shared/data}/fsdd/recordings.tar"
runs=
out=
jobs=2
epochs=25
rates="0.001 0.003"
quick=
one=
while [ $# -gt 0 ]; do
    case "$1" in
        --one) one=1 ;;
        --quick) quick=_quick; rates=0.001; epochs=3 ;;
        --jobs) jobs=$2; shift ;;
        --runs) runs=$2; shift ;;
        --out) out=$2; shift ;;
        --epochs) epochs=$2; shift ;;
        *) if [ -n "$one" ]; then break; fi
           echo "speech.sh: unknown argument '$1' (see the comments at the top)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "speech.sh: build first: make" >&2; exit 2; }
command -v python3 > /dev/null || { echo "speech.sh: needs python3 to write results.json (make deps)" >&2; exit 2; }
[ -f "$data" ] || { echo "speech.sh: skipped: no FSDD recordings at $data (they are in ../shared/data/fsdd beside the checkout, or \$RECUR_DATA/fsdd)" >&2; exit 0; }
export OPENBLAS_NUM_THREADS=1
if [ -n "$out" ]; then
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    runs=${runs:-$out/runs}
    stem=$out/results; figures=$out/figures/
else
    runs=${runs:-$here/runs-speech$(echo "$quick" | tr _ -)}
    stem=$here/results_speech$quick; figures=$here/figures/speech${quick}_
fi

units="rnn_tanh:400: gru_reset_before:227: lstm:195:--peephole"

run_one() { # cell:hidden:extra rate
    u=$1; r=$2
    cell=${u%%:*}; rest=${u#*:}; hidden=${rest%%:*}; extra=${rest#*:}
    # shellcheck disable=SC2086
    train_run "$runs/$cell/lr$r" --task audio --data "$data" --window 20 --hop 10 --mixtures 20 --cell "$cell" \
        --hidden "$hidden" $extra --batch 32 --bucket 50 --optimizer adam --lr "$r" --clip 1 \
        --schedule plateau --gamma 0.5 --plateau-patience 2 --epochs "$epochs" --patience 5 \
        --checkpoint-every 25 --seed 1 --threads 1
}

if [ -n "$one" ]; then
    run_one "$1" "$2"
    exit 0
fi
echo "runs in $runs, $jobs at a time; rates $rates, at most $epochs epochs"
mkdir -p "$runs"
for u in $units; do for r in $rates; do echo "$u $r"; done; done |
    xargs -P "$jobs" -L 1 sh "$0" --one --runs "$runs" --epochs "$epochs"

# The table: per unit, the rate with the best validation NLL; its figures
# on every split (recur eval), per sample and per step of 10 samples.
mkdir -p "$(dirname "$figures.svg")"
echo "cell,hidden,lr,parameters,best_epoch,epochs,seconds,valid,train,test" > "$stem.csv"
dirs=; labels=
for u in $units; do
    cell=${u%%:*}; rest=${u#*:}; hidden=${rest%%:*}
    best_run "$runs/$cell"/lr*
    [ -n "$best" ] || continue
    model="$best/model.safetensors"
    nll() { "$recur" eval "$model" --data "$data" --split "$1" | sed -n 's/.*NLL \(-*[0-9.]*\) nats.*/\1/p'; }
    train=$(nll train); test=$(nll test)
    params=$("$recur" info "$model" | sed -n 's/.*parameters *//p')
    echo "$cell,$hidden,${best##*/lr},$params,$best_epoch,$epochs_run,$seconds,$best_valid,$train,$test" >> "$stem.csv"
    dirs="$dirs $best"
    labels="$labels${labels:+,}$cell $hidden"
done
if [ -n "$dirs" ]; then
    for x in epoch:epochs seconds:seconds; do
        # shellcheck disable=SC2086
        "$recur" plot $dirs --labels "$labels" --x "${x%%:*}" \
            --title "FSDD (substitute for the paper's speech): validation" --ylabel "NLL per sample (nats)" \
            -o "$figures${x#*:}.svg" > /dev/null
    done
fi
{
    echo "| cell | units | rate | parameters | best epoch / run | seconds | valid | train | test | test per step (10 samples) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    tail -n +2 "$stem.csv" | while IFS=, read -r cell h lr params be ep sec v tr te; do
        step=$(awk "BEGIN { printf \"%.3f\", 10 * $te }")
        echo "| $cell | $h | $lr | $params | $be / $ep | $sec | $v | $tr | $te | $step |"
    done
} > "$stem.md"
cat "$stem.md"

if [ "$(wc -l < "$stem.csv")" -gt 1 ]; then
    [ -n "$quick" ] && q=true || q=false
    speech_rows "$stem.csv" > "$stem.rows.tsv"
    write_results "$stem.rows.tsv" "$stem.json" "$q"
    rm -f "$stem.rows.tsv"
    echo "results: $stem.json"
else
    echo "no unit has a finished run yet: no $stem.json"
fi
