#!/bin/sh
# summarize.sh [--out DIR] SETUP RUNS N DATASET... — for each data set and
# cell whose N runs have finished, the run whose setting (starting rate, and
# weight noise where it is not 0.075) gave the lowest validation NLL; its
# train and test NLL per frame (recur eval), parameters, epochs and time
# beside the paper's Table 2 in results.md, results.csv and results.json
# (other setups than the paper's, and quick runs, SETUP ending in _quick:
# results_SETUP.*); figures/ with the learning curves.  With --out DIR, all of
# them go to DIR (results.*, figures/ without a prefix); without it, to
# experiments/chung2014.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
recur="$top/build/recur"
. "$here/lib.sh"
data="${RECUR_DATA:-$top/../shared/data}/music"
dir=
if [ "$1" = --out ]; then dir=$2; shift 2; fi
setup=$1; runs=$2; n_settings=$3; shift 3
if [ -n "$dir" ]; then
    out=$dir/results; figures=$dir/figures; fig=
else
    case "$setup" in
        paper) out=$here/results; fig= ;;
        *) out=$here/results_$setup; fig=${setup}_ ;;
    esac
    figures=$here/figures
fi
case "$setup" in
    *_quick) quick=true ;;
    *) quick=false ;;
esac
mkdir -p "$figures"

# The paper's Table 2 (train / test NLL per frame).
paper() {
    case "$1:$2" in
        nottingham:rnn_tanh) echo "3.22 3.13" ;; nottingham:gru_reset_before) echo "2.79 3.23" ;; nottingham:lstm) echo "3.08 3.20" ;;
        jsb_chorales:rnn_tanh) echo "8.82 9.10" ;; jsb_chorales:gru_reset_before) echo "6.94 8.54" ;; jsb_chorales:lstm) echo "8.15 8.67" ;;
        musedata:rnn_tanh) echo "5.64 6.23" ;; musedata:gru_reset_before) echo "5.06 5.99" ;; musedata:lstm) echo "5.18 6.23" ;;
        piano_midi:rnn_tanh) echo "5.64 9.03" ;; piano_midi:gru_reset_before) echo "4.93 8.82" ;; piano_midi:lstm) echo "6.49 9.03" ;;
    esac
}

csv="$out.csv"
echo "dataset,cell,lr,parameters,best_epoch,epochs,seconds,valid,train,test,paper_train,paper_test" > "$csv"
for d in "$@"; do
    dirs=; labels=
    for cell in rnn_tanh gru_reset_before lstm; do
        best_run "$runs/$d/$cell"/lr* # lr0.0005 or lr0.001-noise0
        [ -n "$best" ] && [ "$finished" -eq "$n_settings" ] || continue # all settings, or no row yet
        model="$best/model.safetensors"
        train=$("$recur" eval "$model" --data "$data/$d" --split train | sed -n 's/.*NLL \([0-9.]*\).*/\1/p')
        test=$("$recur" eval "$model" --data "$data/$d" --split test | sed -n 's/.*NLL \([0-9.]*\).*/\1/p')
        params=$("$recur" info "$model" | sed -n 's/.*parameters *//p')
        p=$(paper "$d" "$cell")
        echo "$d,$cell,${best##*/lr},$params,$best_epoch,$epochs_run,$seconds,$best_valid,$train,$test,${p% *},${p#* }" >> "$csv"
        dirs="$dirs $best"
        labels="$labels${labels:+,}$cell"
    done
    if [ -n "$dirs" ]; then
        # shellcheck disable=SC2086
        "$recur" plot $dirs --labels "$labels" --log-y --title "$d: validation NLL per frame" \
            --ylabel "NLL per frame (nats)" -o "$figures/$fig${d}_epochs.svg" > /dev/null
        # shellcheck disable=SC2086
        "$recur" plot $dirs --labels "$labels" --log-y --x seconds --title "$d: validation NLL per frame" \
            --ylabel "NLL per frame (nats)" -o "$figures/$fig${d}_seconds.svg" > /dev/null
    fi
done

{
    echo "| data set | cell | setting | parameters | best epoch / run | seconds | train (ours / paper) | test (ours / paper) | test difference |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    tail -n +2 "$csv" | while IFS=, read -r d cell lr params be ep sec v tr te ptr pte; do
        diff=$(awk "BEGIN { printf \"%+.2f\", $te - $pte }")
        echo "| $d | $cell | $lr | $params | $be / $ep | $sec | $tr / $ptr | $te / $pte | $diff |"
    done
} > "$out.md"
cat "$out.md"

if [ "$(wc -l < "$csv")" -gt 1 ]; then
    music_rows "$csv" "${setup%_quick}" > "$out.rows.tsv"
    write_results "$out.rows.tsv" "$out.json" "$quick"
    rm -f "$out.rows.tsv"
    echo "results: $out.json"
else
    echo "no data set has all its runs finished yet: no $out.json"
fi
