#!/bin/sh
# Chung, Gulcehre, Cho & Bengio 2014 ("Empirical Evaluation of Gated Recurrent
# Neural Networks on Sequence Modeling"), polyphonic music: tanh RNN vs GRU vs
# LSTM on the four Boulanger-Lewandowski data sets, with the paper's setup.
#
#   sh experiments/chung2014/run.sh [--quick] [--out DIR] [--setup paper|lowrate|library]
#                                   [--datasets "D ..."] [--jobs N] [--runs DIR]
#
#   --quick    JSB Chorales only (the same runs as the full grid; ~2 minutes
#              on 2 cores), its table in results_paper_quick.md to hold
#              against results.md
#   --out DIR  where the results go: DIR/results.json (the rows of the
#              experiment contract, experiments/README.md), DIR/results.md and
#              .csv (the table), DIR/figures/ (the curves) and, unless --runs
#              says otherwise, DIR/runs/ (the runs).  Without it, the places
#              the README links: experiments/chung2014/results.json, .md,
#              .csv (results_SETUP.* for the other setups, results_paper_quick.*
#              for --quick), figures/ (names prefixed SETUP_ or paper_quick_)
#              and runs/ (runs-SETUP/)
#   --datasets some of jsb_chorales piano_midi nottingham musedata (all four
#              by default)
#   --setup S  paper (default): the paper's training, below; lowrate: the
#              paper's training at a rate below its search (5e-5) and
#              at 1.44e-4 without weight noise, the evidence for the cells
#              that differ from the paper; library: the same cells and sizes
#              trained with the library's own settings (Adam, a plateau
#              schedule), for the second table of the README
#   --jobs N   runs at a time (default 2: one per core)
#   --runs D   where the runs go (default experiments/chung2014/runs, or
#              runs-lowrate, runs-library)
#
# Every run is resumable: an interrupted grid continues where it stopped when
# started again with the same --out (or --runs).  Afterwards results.json and
# results.md hold our figures beside the paper's and figures/ the learning
# curves (validation NLL per frame against epochs and against seconds,
# log-scale, as the paper's Figure 2).  The data: the four sets in
# ../shared/data/music beside the checkout, or $RECUR_DATA/music; without
# them the script says so and exits 0 having done nothing.
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
# The library's setup: Adam, the gradient's norm clipped to 1, the rate
# halved after 5 epochs without improvement, one sequence per update, early
# stopping as above; chosen on validation among rates 3e-4, 1e-3 and 3e-3
# with weight noise of std 0.075, and 1e-3 without noise.  (Dropout of 0.2
# on the output layer's input, tried once on JSB with the GRU at 1e-3, made
# it worse: test NLL 8.49 against 8.45.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$here/lib.sh"
data="${RECUR_DATA:-$top/../shared/data}/music"
runs=
out=
setup=paper
quick=
jobs=2
datasets="jsb_chorales piano_midi nottingham musedata"
one=
while [ $# -gt 0 ]; do
    case "$1" in
        --one) one=1 ;;
        --quick) datasets=jsb_chorales; quick=_quick ;;
        --datasets) datasets=$2; shift ;;
        --setup) setup=$2; shift ;;
        --jobs) jobs=$2; shift ;;
        --runs) runs=$2; shift ;;
        --out) out=$2; shift ;;
        *) if [ -n "$one" ]; then break; fi
           echo "run.sh: unknown argument '$1' (see the comments at the top)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: build first: make" >&2; exit 2; }
command -v python3 > /dev/null || { echo "run.sh: needs python3 to write results.json (make deps)" >&2; exit 2; }
# Each run computes on one thread; without this OpenBLAS would still start a
# pool of worker threads that poll for work beside the run.
export OPENBLAS_NUM_THREADS=1
# Without the data there is nothing to run: say so and succeed, so that a
# machine without ../shared/data can run every experiment's script.
[ -n "$one" ] || for d in $datasets; do
    [ -d "$data/$d" ] || { echo "run.sh: skipped: no data set $d in $data (the music sets are in ../shared/data/music beside the checkout, or \$RECUR_DATA/music)" >&2; exit 0; }
done
case "$setup" in
    paper) settings="0.000144 0.0005 0.00287 0.00933"; runs_default="runs" ;;
    lowrate) settings="0.00005 0.000144:0"; runs_default="runs-lowrate" ;;
    library) settings="0.0003 0.001 0.003 0.001:0"; runs_default="runs-library" ;;
    *) echo "run.sh: --setup is paper, lowrate or library, not '$setup'" >&2; exit 2 ;;
esac
if [ -n "$out" ]; then
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    runs=${runs:-$out/runs}
else
    runs=${runs:-$here/$runs_default}
fi

units="rnn_tanh:100: gru_reset_before:46: lstm:36:--peephole"


# One line per run: dataset cell:hidden:extra-flags setting
plan() {
    for d in $datasets; do
        for u in $units; do
            for s in $settings; do
                echo "$d $u $s"
            done
        done
    done
}

# The training flags of one setting, "rate" or "rate:weight-noise" (the
# noise is 0.075 unless given), and its run folder's name.
flags() {
    r=${1%%:*}; noise=0.075
    case "$1" in *:*) noise=${1#*:} ;; esac
    case "$setup" in
        paper | lowrate)
            lr_end=$(awk "BEGIN { printf \"%.3g\", $r / 100 }")
            echo "--optimizer rmsprop --centered --momentum 0.9 --alpha 0.95 --rms-floor 0.01 --lr $r" \
                "--schedule linear --lr-end $lr_end --schedule-length 500 --weight-noise $noise --clip-update 1" \
                "--clip 0" ;;
        library)
            echo "--optimizer adam --lr $r --weight-noise $noise --clip 1 --schedule plateau --gamma 0.5" \
                "--plateau-patience 5" ;;
    esac
}
folder() {
    case "$1" in
        *:*) echo "lr${1%%:*}-noise${1#*:}" ;;
        *) echo "lr$1" ;;
    esac
}

run_one() { # dataset cell:hidden:extra setting
    d=$1; u=$2; r=$3
    cell=${u%%:*}; rest=${u#*:}; hidden=${rest%%:*}; extra=${rest#*:}
    # shellcheck disable=SC2046,SC2086
    train_run "$runs/$d/$cell/$(folder "$r")" --task music --data "$data/$d" --cell "$cell" --hidden "$hidden" \
        $extra --batch 1 $(flags "$r") --epochs 500 --patience 25 --checkpoint-every 2000 --seed 1 --threads 1
}

if [ -n "$one" ]; then
    run_one "$1" "$2" "$3"
    exit 0
fi
echo "runs in $runs, $jobs at a time; $setup setup, settings: $settings"
mkdir -p "$runs"
# Each line of the plan is one run, one process of one thread; xargs keeps
# $jobs of them going.
plan | xargs -P "$jobs" -L 1 sh "$0" --one --setup "$setup" --runs "$runs"
# shellcheck disable=SC2086
sh "$here/summarize.sh" ${out:+--out "$out"} "$setup$quick" "$runs" "$(echo $settings | wc -w)" $datasets
