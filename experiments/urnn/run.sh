#!/bin/sh
# The unitary evolution RNN (Arjovsky, Shah & Bengio 2016, arXiv:1511.06464)
# on the two problems of its section 4, against an LSTM and a tanh RNN at
# the paper's sizes: the copying memory problem (10 symbols to recall after
# a gap of T) at T = 100, 200 and 500, and the adding problem at T = 100,
# 200 and 400.  The direction to show: the uRNN falls below the memoryless
# baseline (10 log 8 / (T + 20) nats per step) at every T, while the LSTM
# and the RNN stay at it for T >= 200; on the adding problem, models that
# learn fall below the 1/6 of always answering 1.
#
#   sh experiments/urnn/run.sh [--quick] [--out DIR] [--steps N] [--adding-steps N] [--threads N]
#
#   --quick    the copying runs at T = 100 and 200 alone (the full run's
#              flags and seeds: the same rows), about 9 minutes
#   --out DIR  where the runs, results.json, results.md and curves go
#              (default experiments/urnn/out, or out-quick with --quick)
#   --steps N  updates per copying run (default 2000)
#   --adding-steps N  updates per adding run (default 10000: the LSTM
#              leaves the baseline at T = 100 only after about 4500); the
#              paper's figures run to 20000 and more
#   --threads  threads per training run (default 1; two runs go side by side)
#
# Every model: batch 20, RMSProp at 1e-3 with decay 0.9, the
# gradient's norm clipped to 1, seed 1, training examples new every update
# (recur train's synthetic tasks), validation on 200 examples of a fixed
# seed 20 times a run, the test on recur eval's 1000.  Sizes: uRNN 128
# complex units, LSTM 40, tanh RNN 80 (the paper's copying sizes, used for
# adding too).  Runs go to DIR/runs/TASK-T/MODEL; resumable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=1
steps=2000
adding_steps=10000
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --steps) steps=$2; shift ;;
        --adding-steps) adding_steps=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
for n in "$steps" "$adding_steps"; do
    case "$n" in ''|0|*[!0-9]*) echo "run.sh: --steps and --adding-steps take positive numbers, not '$n'" >&2; exit 2 ;; esac
done
if [ -n "$quick" ]; then
    settings="copy-memory:100 copy-memory:200"
    out=${out:-$here/out-quick}
else
    settings="copy-memory:100 copy-memory:200 copy-memory:500 adding:100 adding:200 adding:400"
    out=${out:-$here/out}
fi
models="urnn lstm rnn_tanh"
hidden() { case "$1" in urnn) echo 128 ;; lstm) echo 40 ;; rnn_tanh) echo 80 ;; esac; }
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)

# one run; the examples of its one epoch are new at every update
run_one() { # task T model
    n=$([ "$1" = adding ] && echo "$adding_steps" || echo "$steps")
    train_run "$out/runs/$1-$2/$3" --task "$1" --length "$2" --cell "$3" --hidden "$(hidden "$3")" \
        --batch 20 --optimizer rmsprop --alpha 0.9 --lr 1e-3 --clip 1 --steps "$n" --epochs 1 \
        --train-size $((20 * n)) --valid-size 200 --eval-every $((n / 20)) --checkpoint-every 500 --log-every 0 \
        --seed 1 --threads "$threads"
}
# a setting's three models on two cores: the uRNN beside the LSTM then the RNN
run_setting() {
    task=${1%%:*} T=${1#*:}
    run_one "$task" "$T" urnn &
    run_one "$task" "$T" lstm
    run_one "$task" "$T" rnn_tanh
    wait
}
for s in $settings; do
    run_setting "$s"
done

rows="$out/runs.tsv"
printf 'task\tT\tmodel\tparams\ttest\tbaseline\tright\texact\tseconds\tfailed\n' > "$rows"
for s in $settings; do
    task=${s%%:*} T=${s#*:}
    for m in $models; do
        run="$out/runs/$task-$T/$m"
        [ -f "$run/DONE" ] || continue
        [ -f "$run/FAILED" ] && echo "run.sh: $task-$T $m failed: $(cat "$run/FAILED")"
        params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
        seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
        ev=$("$recur" eval "$run" --threads "$threads")
        if [ "$task" = adding ]; then
            test=$(echo "$ev" | sed -n 's/.*mean squared error \([0-9.e-]*\) (always guessing 1: \([0-9.]*\)).*/\1/p')
            base=$(echo "$ev" | sed -n 's/.*(always guessing 1: \([0-9.]*\)).*/\1/p')
            right= exact=
        else
            test=$(echo "$ev" | sed -n 's/.*cross-entropy \([0-9.e-]*\) nats per step.*/\1/p')
            base=$(echo "$ev" | sed -n 's/.*(memoryless: \([0-9.]*\)).*/\1/p')
            right=$(echo "$ev" | sed -n 's/.*; \([0-9.]*\)% of steps right.*/\1/p')
            exact=$(echo "$ev" | sed -n 's/.*steps right, \([0-9.]*\)% of sequences exact.*/\1/p')
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$task" "$T" "$m" "$params" "$test" "$base" "$right" \
            "$exact" "$seconds" "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$rows"
    done
    done_models=$(for m in $models; do if [ -f "$out/runs/$task-$T/$m/DONE" ]; then echo "$m"; fi; done)
    if [ -n "$done_models" ]; then
        unit=$([ "$task" = adding ] && echo "validation MSE" || echo "validation cross-entropy (nats/step)")
        "$recur" plot $(for m in $done_models; do echo "$out/runs/$task-$T/$m"; done) \
            --labels "$(echo $done_models | tr ' ' ,)" --x update --ylabel "$unit" --title "$task, T = $T" \
            -o "$out/curves-$task-$T.svg" > /dev/null
    fi
done
python3 - "$rows" "$out/rows.tsv" > "$out/results.md" <<'PY'
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"))
print("| problem | T | model | parameters | test | baseline | below baseline | steps right | sequences exact | seconds |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
rows = []
for r in runs:
    test, base = float(r["test"]), float(r["baseline"])
    failed = " (failed)" if r["failed"] == "yes" else ""
    below = "yes" if test < 0.9 * base else "no"
    print("| %s | %s | %s | %s | %.4g%s | %.4f | %s | %s | %s | %.0f |" % (
        r["task"], r["T"], r["model"], r["params"], test, failed, base, below,
        r["right"] + "%" if r["right"] else "", r["exact"] + "%" if r["exact"] else "", float(r["seconds"])))
    metric = "test MSE" if r["task"] == "adding" else "test cross-entropy (nats/step)"
    # paper_value null: the paper gives curves, not numbers
    rows.append([r["model"], "%s T=%s" % (r["task"], r["T"]), metric, "%.9g" % test, "true", "", r["params"],
                 "%.3f" % float(r["seconds"])])
    rows.append([r["model"], "%s T=%s" % (r["task"], r["T"]), "baseline", "%.6f" % base, "true", "", r["params"],
                 "0"])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
PY
python3 "$top/experiments/lib/results_json.py" write --experiment urnn \
    --paper "Arjovsky, Shah & Bengio 2016, Unitary Evolution Recurrent Neural Networks (arXiv:1511.06464), section 4" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves-*.svg"
