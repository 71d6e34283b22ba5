# train_run.sh — sourced by the experiments' scripts, with $recur set to
# the recur program.

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
