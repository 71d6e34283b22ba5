#!/bin/sh
# experiments.sh — tests of experiments/lib/results_json.py, the writer and
# checker of the results.json every experiment leaves (experiments/README.md):
# a fixture of rows must come out as the committed document byte for byte,
# every way of breaking the schema must be refused with a line naming it,
# and every committed results*.json must pass.  No training.  Ends with
# "N passed, N failed".
pass=0
fail=0
check() { # name, then a shell condition
    name=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL experiments: $name"; fi
}
writer=experiments/lib/results_json.py
fixture=tests/results_json
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL experiments: no python3 (scripts/deps.sh installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the writer: rows in, the document out
write() { # rows.tsv out.json
    python3 "$writer" write --experiment example --paper "Someone et al. 2014, Table 2" --quick true "$1" "$2"
}
write "$fixture/rows.tsv" "$tmp/results.json" 2> "$tmp/err"; rc=$?
check "write: a fixture of rows exits 0 ($(cat "$tmp/err"))" [ $rc -eq 0 ]
check "write: the document is the committed one byte for byte (diff $fixture/expected.json)" \
    cmp -s "$tmp/results.json" "$fixture/expected.json"
python3 "$writer" check "$tmp/results.json" 2> "$tmp/err"; rc=$?
check "check: passes what write wrote ($(cat "$tmp/err"))" [ $rc -eq 0 ]
# The types as another JSON reader sees them, not through the writer's checker.
python3 - "$tmp/results.json" > "$tmp/err" 2>&1 <<'PY'; rc=$?
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc) == ["experiment", "paper", "quick", "rows"], list(doc)
assert doc["quick"] is True and doc["experiment"] == "example"
row = doc["rows"][1]
assert list(row) == ["model", "setting", "metric", "value", "lower_is_better",
                     "paper_value", "params", "seconds"], list(row)
assert type(row["value"]) is float and row["paper_value"] is None, row
assert type(row["params"]) is int and row["lower_is_better"] is True, row
assert doc["rows"][3]["setting"] == 'piano "midi" \\ \u00fc', doc["rows"][3]
PY
check "write: keys in order, numbers as numbers, an empty paper value as null ($(tail -n 1 "$tmp/err"))" [ $rc -eq 0 ]

header=$(head -n 1 "$fixture/rows.tsv")
bad_rows() { # name, expected text, rows after the header (\t for a tab)
    name=$1; want=$2; shift 2
    cp "$fixture/expected.json" "$tmp/kept.json"
    { if [ "$1" = NOHEADER ]; then shift; else echo "$header"; fi; printf "$@"; } > "$tmp/bad.tsv"
    err=$(write "$tmp/bad.tsv" "$tmp/kept.json" 2>&1); rc=$?
    case "$err" in *"$want"*) ok=1 ;; *) ok=0; echo "  got: $err" ;; esac
    cmp -s "$tmp/kept.json" "$fixture/expected.json" && kept=1 || kept=0
    check "write refuses $name: exit 1, '$want', the old file kept" [ $rc -eq 1 -a $ok -eq 1 -a $kept -eq 1 ]
}
bad_rows "no rows" "'rows' must be a non-empty list" ''
bad_rows "a header without 'seconds'" "the header must name the fields" \
    NOHEADER 'model\tsetting\tmetric\tvalue\tlower_is_better\tpaper_value\tparams\n'
bad_rows "a short row" ":2: 7 fields, expected 8" 'gru\tjsb\tnll\t8.4\ttrue\t8.5\t100\n'
bad_rows "a value that is not a number" "'value' must be a number, not 'nan?'" 'gru\tjsb\tnll\tnan?\ttrue\t\t100\t1\n'
bad_rows "a NaN value" "'value' must be a finite number, not NaN" 'gru\tjsb\tnll\tnan\ttrue\t\t100\t1\n'
bad_rows "lower_is_better as yes" "'lower_is_better' must be true or false, not 'yes'" 'gru\tjsb\tnll\t8.4\tyes\t\t100\t1\n'
bad_rows "fractional params" "'params' must be an integer, not '1.5'" 'gru\tjsb\tnll\t8.4\ttrue\t\t1.5\t1\n'
bad_rows "negative seconds" "'seconds' must be a finite number >= 0, not -1" 'gru\tjsb\tnll\t8.4\ttrue\t\t100\t-1\n'
bad_rows "an empty model" "'model' must be a non-empty string" '\tjsb\tnll\t8.4\ttrue\t\t100\t1\n'
bad_rows "a row twice" "row 2: the same model, setting and metric as row 1" \
    'gru\tjsb\tnll\t8.4\ttrue\t\t100\t1\ngru\tjsb\tnll\t8.5\ttrue\t\t100\t1\n'

# ---- the checker: each document breaks the schema in one way
good='{"model": "gru", "setting": "jsb", "metric": "nll", "value": 8.4, "lower_is_better": true, "paper_value": 8.5, "params": 100, "seconds": 1.5}'
bad_doc() { # name, expected text, document
    printf '%s\n' "$3" > "$tmp/bad.json"
    err=$(python3 "$writer" check "$tmp/bad.json" 2>&1); rc=$?
    case "$err" in *"bad.json: $2"*) ok=1 ;; *) ok=0; echo "  got: $err" ;; esac
    check "check refuses $1: exit 1, '$2'" [ $rc -eq 1 -a $ok -eq 1 ]
}
doc() { # top-level fields and rows as JSON fragments
    printf '{"experiment": "example", "paper": "P", %s}' "$1"
}
bad_doc "not JSON" "Expecting" '{"experiment": '
bad_doc "a list" "the document is not a JSON object" '[]'
bad_doc "no rows" "missing key 'rows'" "$(doc '"quick": false')"
bad_doc "an unknown top-level key" "unknown key 'date'" "$(doc "\"quick\": false, \"date\": \"today\", \"rows\": [$good]")"
bad_doc "quick as a string" "'quick' must be true or false, not \"yes\"" "$(doc "\"quick\": \"yes\", \"rows\": [$good]")"
bad_doc "an empty rows list" "'rows' must be a non-empty list" "$(doc '"quick": false, "rows": []')"
bad_doc "a key twice" "key 'quick' appears twice" "$(doc "\"quick\": false, \"quick\": true, \"rows\": [$good]")"
row() { # one substitution in the good row: sed expression
    doc "\"quick\": false, \"rows\": [$(echo "$good" | sed "$1")]"
}
bad_doc "a row without seconds" "row 1: missing key 'seconds'" "$(row 's/, "seconds": 1.5//')"
bad_doc "a row with an unknown key" "row 1: unknown key 'seed'" "$(row 's/}$/, "seed": 1}/')"
bad_doc "a value as a string" "row 1: 'value' must be a finite number, not \"8.4\"" "$(row 's/"value": 8.4/"value": "8.4"/')"
bad_doc "a NaN value" "row 1: 'value' must be a finite number, not NaN" "$(row 's/"value": 8.4/"value": NaN/')"
bad_doc "an infinite value" "row 1: 'value' must be a finite number" "$(row 's/"value": 8.4/"value": Infinity/')"
bad_doc "params true" "row 1: 'params' must be an integer >= 0, not true" "$(row 's/"params": 100/"params": true/')"
bad_doc "params 1.5" "row 1: 'params' must be an integer >= 0, not 1.5" "$(row 's/"params": 100/"params": 1.5/')"
bad_doc "lower_is_better 1" "row 1: 'lower_is_better' must be true or false, not 1" "$(row 's/"lower_is_better": true/"lower_is_better": 1/')"
bad_doc "paper_value as text" "row 1: 'paper_value' must be a finite number or null, not \"n/a\"" "$(row 's|"paper_value": 8.5|"paper_value": "n/a"|')"
bad_doc "seconds null" "row 1: 'seconds' must be a finite number >= 0, not null" "$(row 's/"seconds": 1.5/"seconds": null/')"
bad_doc "a metric of spaces" "row 1: 'metric' must be a non-empty string" "$(row 's/"metric": "nll"/"metric": "  "/')"
bad_doc "the same row twice" "row 2: the same model, setting and metric as row 1" "$(doc "\"quick\": false, \"rows\": [$good, $good]")"

# ---- the report page (make report) rendered, and opened in headless Chromium: every experiment's
# table with all its rows, every image decoded
rdir=$(mktemp -d)
if ! python3 scripts/report.py --out "$rdir/report.html" >/dev/null 2>"$rdir/err"; then
    check "scripts/report.py renders the report ($(tail -n 1 "$rdir/err"))" false
else
    browser=$(sh scripts/chromium.sh 2>"$rdir/why")
    if [ -z "$browser" ]; then
        echo "  skipped: the report in Chromium ($(cat "$rdir/why"))"
    else
        python3 - "$rdir/report.html" "$rdir/probe.html" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = ('<script>addEventListener("load", () => { const i = Array.from(document.images); '
         'document.body.dataset.imagesLoaded = i.filter(x => x.complete && x.naturalWidth > 0).length + "/" + i.length; '
         '});</script></body>')
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", probe))
PY
        timeout 180 "$browser" --headless --no-sandbox --disable-gpu --virtual-time-budget=10000 \
            --dump-dom "file://$rdir/probe.html" > "$rdir/dom.html" 2>/dev/null
        out=$(python3 tests/report_check.py "$rdir/report.html" "$rdir/dom.html"); rc=$?
        check "the report in Chromium: every experiment's table, every image ($(echo "$out" | grep -c '^ok') checks; $(echo "$out" | grep FAIL | head -n 2 | tr '\n' ' '))" [ $rc -eq 0 ]
    fi
fi
rm -rf "$rdir"

# ---- what the experiments have committed
for f in experiments/*/results*.json; do
    [ -f "$f" ] || continue
    err=$(python3 "$writer" check "$f" 2>&1); rc=$?
    check "$f passes the schema ($err)" [ $rc -eq 0 ]
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
