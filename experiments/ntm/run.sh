#!/bin/sh
# The Neural Turing Machine (Graves, Wayne & Danihelka 2014,
# arXiv:1410.5401, section 4.1) on the copy task, against an LSTM of the
# same size and the paper's LSTM of 3 x 256, trained as Collier & Beel
# (2018, arXiv:1807.08518) train theirs.  The direction to show: trained on
# sequences of 1 to 20 vectors of 8 bits, the NTM copies longer ones too
# (30 to 120) with few errors; the LSTMs' errors grow with the length.
#
#   sh experiments/ntm/run.sh [--quick] [--out DIR] [--steps N] [--threads N]
#
#   --quick    1500 updates each (the full run's flags and seed otherwise;
#              the first stretch of the same curves), about 8 minutes
#   --out DIR  where the runs, results.json, results.md and curves go
#              (default experiments/ntm/out, or out-quick with --quick)
#   --steps N  updates per model (default 20000; Collier & Beel run 31250)
#   --threads  threads per training run (default 1; the two go side by side)
#
# Both models: batch 32, Adam at 1e-3, the gradient's norm clipped to 50,
# seed 1, every update on 32 new sequences of 1 to 20 random 8-bit vectors
# (recur train's synthetic copy task), validation on 200 sequences of a
# fixed seed 20 times a run, the test on recur eval's fixed test seed, 500
# sequences per length.  NTM: an LSTM controller of 100, a memory of
# 128 x 20, one read and one write head, shifts -1..1, clip 20 (62,936
# parameters with the output layer); lstm: 120 units (63,848); lstm3: 3
# layers of 256 (the paper's baseline, 1,328,136).  heads.png: the NTM's
# write and read weightings over one copy of 30 vectors (heads.py; needs
# numpy, found through scripts/pyenv.sh).  Runs go to DIR/runs/MODEL;
# resumable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$top/experiments/lib/train_run.sh"
quick=
out=
threads=1
steps=20000
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --steps) steps=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$recur" ] || { echo "run.sh: $recur is missing; run make first" >&2; exit 2; }
case "$steps" in ''|0|*[!0-9]*) echo "run.sh: --steps takes a positive number, not '$steps'" >&2; exit 2 ;; esac
if [ -n "$quick" ]; then
    steps=1500
    out=${out:-$here/out-quick}
else
    out=${out:-$here/out}
fi
models="ntm lstm lstm3"
lengths="10 20 30 40 50 80 120"
size() { case "$1" in ntm) echo "--cell ntm --hidden 100" ;; lstm) echo "--cell lstm --hidden 120" ;;
    lstm3) echo "--cell lstm --hidden 256 --layers 3" ;; esac; }
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)

run_one() { # model
    # shellcheck disable=SC2046
    train_run "$out/runs/$1" --task copy --length 1-20 --bits 8 $(size "$1") \
        --batch 32 --optimizer adam --lr 1e-3 --clip 50 --steps "$steps" --epochs 1 \
        --train-size $((32 * steps)) --valid-size 200 --eval-every $((steps / 20)) --checkpoint-every 200 \
        --log-every 0 --seed 1 --threads "$threads"
}
run_one ntm &
run_one lstm
run_one lstm3
wait

rows="$out/runs.tsv"
printf 'model\tparams\tlength\terrors\texact\tright\tseconds\tfailed\n' > "$rows"
for m in $models; do
    run="$out/runs/$m"
    [ -f "$run/DONE" ] || continue
    [ -f "$run/FAILED" ] && echo "run.sh: $m failed: $(cat "$run/FAILED")"
    params=$(sed -n 's/.* \([0-9][0-9]*\) parameters;.*/\1/p' "$run/stdout.txt" | head -n 1)
    seconds=$(tail -n 1 "$run/log.csv" | cut -d, -f7)
    for T in $lengths; do
        ev=$("$recur" eval "$run" --length "$T" --size 500 --threads "$threads")
        errors=$(echo "$ev" | sed -n 's/^ *\([0-9.]*\) bit errors per sequence.*/\1/p')
        exact=$(echo "$ev" | sed -n 's/.*sequence, \([0-9.]*\)% of sequences exact.*/\1/p')
        right=$(echo "$ev" | sed -n 's/.*exact, \([0-9.]*\)% of bits right.*/\1/p')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$params" "$T" "$errors" "$exact" "$right" "$seconds" \
            "$([ -f "$run/FAILED" ] && echo yes || echo no)" >> "$rows"
    done
done
done_models=$(for m in $models; do if [ -f "$out/runs/$m/DONE" ]; then echo "$m"; fi; done)
if [ -n "$done_models" ]; then
    "$recur" plot $(for m in $done_models; do echo "$out/runs/$m"; done) --labels "$(echo $done_models | tr ' ' ,)" \
        --x update --ylabel "validation cost (nats per output vector)" --title "copy, lengths 1-20" \
        -o "$out/curves.svg" > /dev/null
fi
py=$(sh "$top/scripts/pyenv.sh" "$top/build" 2>/dev/null || true)
if [ -f "$out/runs/ntm/DONE" ] && [ -n "$py" ]; then
    "$py" "$here/heads.py" "$out/runs/ntm" "$out/heads.png" --length 30 --seed 7
else
    echo "run.sh: heads.png not drawn (no finished NTM run, or no python with numpy: scripts/pyenv.sh)"
fi
python3 - "$rows" "$out/rows.tsv" > "$out/results.md" <<'PY'
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"))
print("| model | parameters | length | bit errors per sequence | sequences exact | bits right | training seconds |")
print("| --- | --- | --- | --- | --- | --- | --- |")
rows = []
for r in runs:
    failed = " (failed)" if r["failed"] == "yes" else ""
    print("| %s | %s | %s%s | %s | %s%% | %s%% | %.0f |" % (r["model"], r["params"], r["length"],
          " (trained)" if int(r["length"]) <= 20 else "", r["errors"] + failed, r["exact"], r["right"],
          float(r["seconds"])))
    # paper_value null: the paper shows the copies as images and the costs as curves
    rows.append([r["model"], "copy length %s" % r["length"], "bit errors per sequence", r["errors"], "true", "",
                 r["params"], "%.3f" % float(r["seconds"])])
    rows.append([r["model"], "copy length %s" % r["length"], "sequences exact (%)", r["exact"], "false", "",
                 r["params"], "%.3f" % float(r["seconds"])])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter="\t", lineterminator="\n")
    w.writerow(["model", "setting", "metric", "value", "lower_is_better", "paper_value", "params", "seconds"])
    w.writerows(rows)
PY
python3 "$top/experiments/lib/results_json.py" write --experiment ntm \
    --paper "Graves, Wayne & Danihelka 2014, Neural Turing Machines (arXiv:1410.5401), section 4.1; Collier & Beel 2018 (arXiv:1807.08518)" \
    --quick "$([ -n "$quick" ] && echo true || echo false)" "$out/rows.tsv" "$out/results.json"
cat "$out/results.md"
echo "wrote $out/results.json, $out/results.md and $out/curves.svg"
