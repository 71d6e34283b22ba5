#!/bin/sh
# Chung, Gulcehre, Cho & Bengio 2014 ("Empirical Evaluation of Gated Recurrent
# Neural Networks on Sequence Modeling"), polyphonic music: tanh RNN vs GRU vs
# LSTM on the four Boulanger-Lewandowski data sets, with the paper's setup.
#
#   sh experiments/chung2014/run.sh [--quick] [--jobs N] [--runs DIR]
#
#   --quick   JSB Chorales only (the same runs as the full grid; ~2 minutes)
#   --jobs N  runs at a time (default 2: one per core)
#   --runs D  where the runs go (default experiments/chung2014/runs)
#
# Every run is resumable: an interrupted grid continues where it stopped when
# started again.  Afterwards results.md holds our table beside the paper's and
# figures/ the learning curves (validation NLL per frame against epochs and
# against seconds, log-scale, as the paper's Figure 2).
#
# Setup (the paper, and the authors' configurations):
#   one recurrent layer, a sigmoid output per key, NLL summed over the 88 keys,
#   averaged over the frames of a split;
#   tanh RNN 100 units, GRU 46 units (reset before the recurrent matrix), LSTM
#   36 units with peepholes — about 20k parameters each;
#   RMSProp with momentum 0.9, decay 0.95 and a floor of 1e-2 on the RMS
#   (Graves's centred form), one sequence per update, weight noise of std
#   0.075, the update's norm clipped to 1, the rate decaying linearly to 1/100
#   of its start over 500 epochs, early stopping on validation (25 epochs of
#   patience), weights uniform in +-1/sqrt(H);
#   the starting rate chosen on validation among 4 log-uniform samples in
#   [1e-4, 1e-2], one in each quarter of the log range, drawn once (Python's
#   random, seed 2014) and written below, the same for every cell.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
data="${RECUR_DATA:-$top/../shared/data}/music"
runs="$here/runs"
jobs=2
datasets="jsb_chorales piano_midi nottingham musedata"
one=
while [ $# -gt 0 ]; do
    case "$1" in
        --one) one=1 ;;
        --quick) datasets=jsb_chorales ;;
        --jobs) jobs=$2; shift ;;
        --runs) runs=$2; shift ;;
        *) if [ -n "$one" ]; then break; fi
           echo "run.sh: unknown argument '$1' (see the comments at the top)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: build first: make" >&2; exit 2; }
# Each run computes on one thread; without this OpenBLAS would still start a
# pool of worker threads that poll for work beside the run.
export OPENBLAS_NUM_THREADS=1
[ -d "$data/jsb_chorales" ] || { echo "run.sh: no music data in $data (set RECUR_DATA)" >&2; exit 2; }

units="rnn_tanh:100: gru_reset_before:46: lstm:36:--peephole"
rates="0.000144 0.0005 0.00287 0.00933"


# One line per run: dataset cell hidden extra-flags rate
plan() {
    for d in $datasets; do
        for u in $units; do
            for r in $rates; do
                echo "$d $u $r"
            done
        done
    done
}

run_one() { # dataset cell:hidden:extra rate
    d=$1; u=$2; r=$3
    cell=${u%%:*}; rest=${u#*:}; hidden=${rest%%:*}; extra=${rest#*:}
    dir="$runs/$d/$cell/lr$r"
    [ -f "$dir/DONE" ] && return 0
    mkdir -p "$dir"
    ok=0
    if [ -f "$dir/checkpoint.safetensors" ]; then
        "$recur" train --out "$dir" --resume > "$dir/stdout.txt" 2>&1 && ok=1
    else
        lr_end=$(awk "BEGIN { printf \"%.3g\", $r / 100 }")
        # shellcheck disable=SC2086
        "$recur" train --task music --data "$data/$d" --cell "$cell" --hidden "$hidden" $extra \
            --batch 1 --optimizer rmsprop --centered --momentum 0.9 --alpha 0.95 --rms-floor 0.01 \
            --lr "$r" --schedule linear --lr-end "$lr_end" --schedule-length 500 \
            --weight-noise 0.075 --clip-update 1 --clip 0 --epochs 500 --patience 25 \
            --checkpoint-every 2000 --seed 1 --threads 1 --out "$dir" > "$dir/stdout.txt" 2>&1 && ok=1
    fi
    # A run that diverges (a too-large rate) ends with an error: it is finished
    # too, and its best model before the divergence still counts.
    [ $ok -eq 1 ] || tail -n 1 "$dir/stdout.txt" > "$dir/FAILED"
    touch "$dir/DONE"
    echo "done: $d $cell lr $r: $(tail -n 2 "$dir/stdout.txt" | head -n 1)"
}

if [ -n "$one" ]; then
    run_one "$1" "$2" "$3"
    exit 0
fi
echo "runs in $runs, $jobs at a time; learning rates: $rates"
mkdir -p "$runs"
# Each line of the plan is one run, one process of one thread; xargs keeps
# $jobs of them going.
plan | xargs -P "$jobs" -L 1 sh "$0" --one --runs "$runs"
sh "$here/summarize.sh" "$runs" $datasets
