#!/bin/sh
# mutate.sh — checks that the gradient checks catch broken backward passes.
# Each line of tests/mutations.txt (FILE|TEXT|BROKEN TEXT) breaks one backward,
# mostly by a factor of 1.01; for each, a scratch copy of the tree is built
# and the unit suite (gradient checks, fused == composed) must fail.  Not part of `make test` (a minute
# or two); run it after touching a backward:  sh tests/mutate.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
(cd "$top" && tar cf - --exclude=./build --exclude='./build-*' --exclude=./.git .) |
    (cd "$work/tree" && tar xf -)
caught=0
missed=0
n=0
previous=
while IFS='|' read -r file old new; do
    n=$((n + 1))
    # Undo the previous mutation with a fresh mtime, so make rebuilds it.
    [ -n "$previous" ] && cp "$top/$previous" "$work/tree/$previous"
    previous=$file
    if ! python3 - "$work/tree/$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(1)
open(path, "w").write(text.replace(old, new))
PY
    then
        echo "mutation $n: the text to break is no longer in $file; update tests/mutations.txt"
        missed=$((missed + 1))
        continue
    fi
    make -s -C "$work/tree" BUILD="$work/build" "$work/build/tests/unit" >/dev/null 2>&1
    result=$("$work/build/tests/unit" 2>&1 | tail -n 1)
    case "$result" in
        *" 0 failed") echo "mutation $n ($file): NOT caught"; missed=$((missed + 1)) ;;
        *) echo "mutation $n ($file): caught ($result)"; caught=$((caught + 1)) ;;
    esac
done < "$top/tests/mutations.txt"
echo "$caught passed, $missed failed"
[ "$missed" -eq 0 ]
