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
