# lib.sh — what the grids of this folder share; sourced by run.sh,
# summarize.sh and speech.sh, with $recur set to the recur program.

# train_run DIR FLAGS... — one resumable training run in DIR: skipped when
# DIR/DONE exists, continued from DIR's checkpoint when there is one, else
# started with `recur train FLAGS... --out DIR`.  A run that ends with an
# error (a diverging rate) is finished too: DIR/FAILED holds the error, and
# its best model before the divergence still counts.
train_run() {
    dir=$1; shift
    [ -f "$dir/DONE" ] && return 0
    mkdir -p "$dir"
    ok=0
    if [ -f "$dir/checkpoint.safetensors" ]; then
        "$recur" train --out "$dir" --resume > "$dir/stdout.txt" 2>&1 && ok=1
    else
        "$recur" train "$@" --out "$dir" > "$dir/stdout.txt" 2>&1 && ok=1
    fi
    [ $ok -eq 1 ] || tail -n 1 "$dir/stdout.txt" > "$dir/FAILED"
    touch "$dir/DONE"
    echo "done: $dir: $(tail -n 2 "$dir/stdout.txt" | head -n 1)"
}

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
