#!/bin/sh
# cli.sh BUILD — tests of the recur command and of the shared library's
# exported names.  Ends with "N passed, N failed".
build=${1:-build}
recur="$build/recur"
pass=0
fail=0

check() { # name, then a shell condition
    name=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL cli: $name"; fi
}

out=$("$recur" --help); rc=$?
check "--help exits 0 and shows the usage" [ $rc -eq 0 ]
case "$out" in *"Usage: recur"*) ok=1 ;; *) ok=0 ;; esac
check "--help text" [ $ok -eq 1 ]

out=$("$recur" --version); rc=$?
check "--version exits 0" [ $rc -eq 0 ]
case "$out" in "recur "[0-9]*.[0-9]*.[0-9]*" (BLAS "*) ok=1 ;; *) ok=0 ;; esac
check "--version prints the version and build" [ $ok -eq 1 ]

err=$("$recur" frobnicate 2>&1 >/dev/null); rc=$?
check "an unknown command exits 2" [ $rc -eq 2 ]
check "an unknown command gives one line naming it" \
    [ "$(echo "$err" | wc -l)" -eq 1 -a -n "$(echo "$err" | grep "unknown command 'frobnicate'")" ]

"$recur" --bogus >/dev/null 2>&1; rc=$?
check "an unknown option exits 2" [ $rc -eq 2 ]
"$recur" >/dev/null 2>&1; rc=$?
check "no command exits 2 with the usage" [ $rc -eq 2 ]

# ---- recur info / recur run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref=tests/ref
out=$("$recur" info $ref/lstm_proj_l2_bi_lengths_h0c0.model.safetensors); rc=$?
case "$out" in *"cell          lstm (4 gates)"*"projection    2"*"directions    2 (bidirectional)"*"parameters    512"*) ok=1 ;; *) ok=0 ;; esac
check "info describes a PyTorch LSTM with projection" [ $rc -eq 0 -a $ok -eq 1 ]

"$recur" run $ref/gru_l2_bi_lengths_h0_batch_first.model.safetensors \
    $ref/gru_l2_bi_lengths_h0_batch_first.data.safetensors -o "$tmp/out.safetensors" --batch-first; rc=$?
check "run writes its output file" [ $rc -eq 0 -a -s "$tmp/out.safetensors" ]

# A safetensors file from a header and little-endian float bytes (printf escapes).
st_file() { # path header data-escapes
    n=${#2}
    printf "$(printf '\\%03o\\%03o\\%03o' $((n % 256)) $((n / 256 % 256)) 0)\\000\\000\\000\\000\\000" > "$1"
    printf '%s' "$2" >> "$1"
    printf "$3" >> "$1"
}
st_file "$tmp/narrow.safetensors" '{"input":{"dtype":"F32","shape":[1,1,2],"data_offsets":[0,8]}}' \
    '\000\000\200\077\000\000\200\077'
bad_run() { # name, expected text, args...
    name=$1; want=$2; shift 2
    rm -f "$tmp/bad.safetensors"
    err=$("$recur" run "$@" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$err" | wc -l)
    case "$err" in *"$want"*) ok=1 ;; *) ok=0; echo "  got: $err" ;; esac
    check "run: $name: exit 2, one line, no output" \
        [ $rc -eq 2 -a $ok -eq 1 -a "$lines" -eq 1 -a ! -e "$tmp/bad.safetensors" ]
}
model=$ref/gru_l1.model.safetensors
bad_run "a missing model" "nope.safetensors: cannot open" "$tmp/nope.safetensors" "$tmp/narrow.safetensors" -o "$tmp/bad.safetensors"
bad_run "an input of the wrong width" "input must be [T, B, 3], got [1, 1, 2]" $model "$tmp/narrow.safetensors" -o "$tmp/bad.safetensors"
bad_run "an input file without 'input'" "no tensor named 'input'" $model $model -o "$tmp/bad.safetensors"
bad_run "an unknown cell" "unknown cell 'tree'" $model "$tmp/narrow.safetensors" -o "$tmp/bad.safetensors" --cell tree
bad_run "a cell the weights contradict" "a lstm has 4 gates" $model "$tmp/narrow.safetensors" -o "$tmp/bad.safetensors" --cell lstm
bad_run "no output given" "expected MODEL INPUT -o OUT" $model "$tmp/narrow.safetensors"
bad_run "an unknown option" "unknown option '--fast'" $model "$tmp/narrow.safetensors" -o "$tmp/bad.safetensors" --fast
st_file "$tmp/lengths.safetensors" '{"input":{"dtype":"F32","shape":[1,1,3],"data_offsets":[0,12]},"lengths":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}' \
    '\000\000\200\077\000\000\200\077\000\000\200\077\000\000\000\100'
bad_run "a length longer than the input" "lengths[0] = 2 is not in 1..1" $model "$tmp/lengths.safetensors" -o "$tmp/bad.safetensors"
err=$("$recur" info "$tmp/narrow.safetensors" 2>&1); rc=$?
check "info on a file that is not a model exits 2 naming it" [ $rc -eq 2 -a -n "$(echo "$err" | grep 'narrow.safetensors: no tensor named weight_ih_l0')" ]

# ---- against PyTorch itself, when this machine has it
py=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch, safetensors' 2>/dev/null; then
        py=$candidate; break
    fi
done
if [ -n "$py" ]; then
    line=$("$py" tests/pytorch_cli.py "$build" | tee /dev/stderr | tail -n 1)
    pass=$((pass + $(echo "$line" | awk '{print $1}')))
    fail=$((fail + $(echo "$line" | awk '{print $3}')))
else
    echo "  skipped: tests/pytorch_cli.py (no python3 with torch and safetensors here)"
fi

demo="$build/examples/fashion_mnist"
out=$("$demo" --train-limit 320 --epochs 1 --hidden 16 2>&1); rc=$?
case "$out" in *"final test accuracy: "*) ok=1 ;; *) ok=0 ;; esac
check "fashion_mnist example trains briefly and reports accuracy (exit $rc)" [ $rc -eq 0 -a $ok -eq 1 ]
err=$("$demo" --epochs 0 2>&1); rc=$?
check "fashion_mnist refuses --epochs 0 with exit 2" [ $rc -eq 2 -a -n "$err" ]
err=$("$demo" --data /nonexistent 2>&1); rc=$?
case "$err" in *"/nonexistent/train-images-idx3-ubyte.gz: cannot open"*) ok=1 ;; *) ok=0 ;; esac
check "fashion_mnist names the missing file and exits 2" [ $rc -eq 2 -a $ok -eq 1 ]

if command -v nm >/dev/null 2>&1; then
    extra=$(nm -D --defined-only "$build/librecur.so" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^rc_/ {print $3}')
    check "librecur.so exports only rc_ names (extra: $extra)" [ -z "$extra" ]
    public=$(nm -D --defined-only "$build/librecur.so" | awk '$3 ~ /^rc_/' | wc -l)
    check "librecur.so exports the public API ($public names)" [ "$public" -gt 50 ]
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
