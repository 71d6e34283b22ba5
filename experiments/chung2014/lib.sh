# lib.sh — what the grids of this folder share; sourced by run.sh,
# summarize.sh and speech.sh, with $recur set to the recur program and $top
# to the top of the checkout.

. "$top/experiments/lib/train_run.sh"

# best_run DIR... — of the finished runs among DIR..., the one with the
# lowest validation loss in its log.csv: sets $best (its folder), $best_valid,
# $finished (how many were finished) and, for the table, $best_epoch (with
# "(then diverged)" when it failed later), $epochs_run and $seconds.
best_run() {
    best=; best_valid=; finished=0
    for dir in "$@"; do
        [ -f "$dir/DONE" ] || continue
        finished=$((finished + 1))
        v=$(awk -F, 'NR > 1 && $4 ~ /^-?[0-9]/ { if (m == "" || $4 + 0 < m + 0) m = $4 } END { print m }' "$dir/log.csv")
        [ -n "$v" ] || continue
        if [ -z "$best_valid" ] || awk "BEGIN { exit !($v < $best_valid) }"; then best=$dir; best_valid=$v; fi
    done
    [ -n "$best" ] || return 0
    best_epoch=$(awk -F, -v m="$best_valid" 'NR > 1 && $4 == m { print int($2 + 0.5); exit }' "$best/log.csv")
    [ -f "$best/FAILED" ] && best_epoch="$best_epoch (then diverged)"
    epochs_run=$(tail -n 1 "$best/log.csv" | cut -d, -f2 | awk '{ print int($1 + 0.5) }')
    seconds=$(tail -n 1 "$best/log.csv" | cut -d, -f7)
}

# write_results ROWS.tsv OUT.json QUICK — OUT.json, the experiment contract's
# results (experiments/README.md), from a TSV of its rows; QUICK is true or
# false.
write_results() {
    python3 "$top/experiments/lib/results_json.py" write --experiment chung2014 \
        --paper "Chung, Gulcehre, Cho & Bengio 2014, Empirical Evaluation of Gated Recurrent Neural Networks on Sequence Modeling (arXiv:1412.3555), Table 2" \
        --quick "$3" "$1" "$2"
}

# music_rows CSV SETUP — the rows of results.json from summarize.sh's CSV:
# per data set and cell, the test, train and validation NLL per frame of the
# run chosen on validation, the first two beside the paper's Table 2.  The
# setting is the data set, with the setup named when it is not the paper's.
music_rows() {
    printf 'model\tsetting\tmetric\tvalue\tlower_is_better\tpaper_value\tparams\tseconds\n'
    # shellcheck disable=SC2034 # the CSV's columns, not all of them used
    tail -n +2 "$1" | while IFS=, read -r d cell lr params be ep sec v tr te ptr pte; do
        setting=$d
        [ "$2" = paper ] || setting="$d, $2 setup"
        for m in "test:$te:$pte" "train:$tr:$ptr" "valid:$v:"; do
            metric=${m%%:*}; rest=${m#*:}
            printf '%s\t%s\t%s NLL per frame (nats)\t%s\ttrue\t%s\t%s\t%s\n' \
                "$cell" "$setting" "$metric" "${rest%%:*}" "${rest#*:}" "$params" "$sec"
        done
    done
}

# speech_rows CSV — the rows of results.json from speech.sh's CSV: per cell,
# the test, train and validation NLL per predicted sample of the rate chosen
# on validation.  FSDD stands in for the paper's private speech sets, so
# there is no paper figure to hold ours against.
speech_rows() {
    printf 'model\tsetting\tmetric\tvalue\tlower_is_better\tpaper_value\tparams\tseconds\n'
    # shellcheck disable=SC2034 # the CSV's columns, not all of them used
    tail -n +2 "$1" | while IFS=, read -r cell h lr params be ep sec v tr te; do
        for m in "test:$te" "train:$tr" "valid:$v"; do
            printf '%s\tfsdd (substitute for the speech sets)\t%s NLL per sample (nats)\t%s\ttrue\t\t%s\t%s\n' \
                "$cell" "${m%%:*}" "${m#*:}" "$params" "$sec"
        done
    done
}
