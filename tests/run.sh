#!/bin/sh
# run.sh BUILD — runs the unit tests, the command-line tests and the tests of
# the experiments' results writer, then prints the combined "N passed, N
# failed" line.  Exit status 1 on any failure.
build=${1:-build}
out=$(mktemp)
status=0

"$build/tests/unit" | tee "$out" || status=1
unit=$(tail -n 1 "$out")
sh tests/cli.sh "$build" | tee "$out" || status=1
cli=$(tail -n 1 "$out")
sh tests/experiments.sh | tee "$out" || status=1
experiments=$(tail -n 1 "$out")
rm -f "$out"

pass=0
fail=0
for line in "$unit" "$cli" "$experiments"; do
    case "$line" in
        *" passed, "*" failed")
            pass=$((pass + $(echo "$line" | awk '{print $1}')))
            fail=$((fail + $(echo "$line" | awk '{print $3}'))) ;;
        *) echo "run.sh: a test program ended without its count: '$line'"; status=1; fail=$((fail + 1)) ;;
    esac
done
[ "$fail" -eq 0 ] || status=1
echo "$pass passed, $fail failed"
exit $status
