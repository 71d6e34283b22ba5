#!/usr/bin/env python3
"""results_json.py — writes and checks an experiment's results.json, the file
every experiment's run.sh leaves in its --out folder (experiments/README.md
gives the contract).  Python's standard library only.

    python3 experiments/lib/results_json.py write --experiment NAME --paper TEXT \\
        --quick true|false ROWS.tsv OUT.json
    python3 experiments/lib/results_json.py check FILE.json...

`write` reads ROWS.tsv: a header line naming the eight row fields (tab
separated, in any order) and one line per row; an empty paper_value is null,
lower_is_better is `true` or `false`.  It checks the document it built
against the schema below and only then replaces OUT.json (through a
temporary file renamed into place, so a reader never sees half a file).
`check` checks files already written.  Both exit 1 with one line per problem,
naming the file, the row and the field, and 2 on a bad command line.

The schema:
    {"experiment": str, "paper": str, "quick": bool,
     "rows": [{"model": str, "setting": str, "metric": str,
               "value": number, "lower_is_better": bool,
               "paper_value": number or null, "params": int >= 0,
               "seconds": number >= 0}, ...]}
with at least one row, no other keys, finite numbers, non-empty strings and
one row per (model, setting, metric).
"""
import argparse
import json
import math
import os
import sys
import tempfile

TOP_KEYS = ("experiment", "paper", "quick", "rows")
ROW_KEYS = ("model", "setting", "metric", "value", "lower_is_better",
            "paper_value", "params", "seconds")


def is_number(x):
    # bool is an int in Python; JSON true is not a number.
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_text(x):
    return isinstance(x, str) and x.strip() != ""


# What each row field must be: (test, what to say when it is not).
ROW_TYPES = {
    "model": (is_text, "a non-empty string"),
    "setting": (is_text, "a non-empty string"),
    "metric": (is_text, "a non-empty string"),
    "value": (is_number, "a finite number"),
    "lower_is_better": (lambda x: isinstance(x, bool), "true or false"),
    "paper_value": (lambda x: x is None or is_number(x), "a finite number or null"),
    "params": (lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 0,
               "an integer >= 0"),
    "seconds": (lambda x: is_number(x) and x >= 0, "a finite number >= 0"),
}


def problems(doc):
    """Every way doc breaks the schema, one sentence each; [] when it is valid."""
    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    found = []
    for key in TOP_KEYS:
        if key not in doc:
            found.append(f"missing key '{key}'")
    for key in doc:
        if key not in TOP_KEYS:
            found.append(f"unknown key '{key}'")
    for key in ("experiment", "paper"):
        if key in doc and not is_text(doc[key]):
            found.append(f"'{key}' must be a non-empty string, not {json.dumps(doc[key])}")
    if "quick" in doc and not isinstance(doc["quick"], bool):
        found.append(f"'quick' must be true or false, not {json.dumps(doc['quick'])}")
    rows = doc.get("rows")
    if "rows" in doc and (not isinstance(rows, list) or not rows):
        found.append("'rows' must be a non-empty list")
        rows = []
    seen = {}
    for i, row in enumerate(rows or []):
        if not isinstance(row, dict):
            found.append(f"row {i + 1}: not a JSON object")
            continue
        for key in ROW_KEYS:
            if key not in row:
                found.append(f"row {i + 1}: missing key '{key}'")
        for key in row:
            if key not in ROW_KEYS:
                found.append(f"row {i + 1}: unknown key '{key}'")
        for key, (test, what) in ROW_TYPES.items():
            if key in row and not test(row[key]):
                found.append(f"row {i + 1}: '{key}' must be {what}, not {json.dumps(row[key])}")
        ident = tuple(row.get(k) for k in ("model", "setting", "metric"))
        if all(isinstance(x, str) for x in ident):
            if ident in seen:
                found.append(f"row {i + 1}: the same model, setting and metric as row {seen[ident]}")
            else:
                seen[ident] = i + 1
    return found


def parse_value(text, field):
    """One TSV field as its JSON value; raises ValueError naming what it expected."""
    if field in ("model", "setting", "metric"):
        return text
    if field == "lower_is_better":
        if text not in ("true", "false"):
            raise ValueError(f"'{field}' must be true or false, not '{text}'")
        return text == "true"
    if field == "paper_value" and text == "":
        return None
    if field == "params":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"'{field}' must be an integer, not '{text}'") from None
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"'{field}' must be a number, not '{text}'") from None
    # 27888.0 reads better as 27888 and means the same in JSON.
    return int(x) if x.is_integer() and "." not in text and "e" not in text.lower() else x


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip() != ""]
    if not lines:
        raise ValueError(f"{path}: empty, expected a header line")
    header = lines[0].split("\t")
    if sorted(header) != sorted(ROW_KEYS):
        raise ValueError(f"{path}: the header must name the fields {' '.join(ROW_KEYS)} "
                         f"(tab separated), not {' '.join(header)}")
    rows, errors = [], []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            errors.append(f"{path}:{n}: {len(cells)} fields, expected {len(header)}")
            continue
        row = {}
        try:
            for field, text in zip(header, cells):
                row[field] = parse_value(text, field)
        except ValueError as e:
            errors.append(f"{path}:{n}: {e}")
            continue
        rows.append({key: row[key] for key in ROW_KEYS})
    if errors:
        raise ValueError("\n".join(errors))
    return rows


def render(doc):
    """The document as JSON text, one row per line so that a diff shows rows."""
    def dump(x):
        return json.dumps(x, ensure_ascii=False, allow_nan=False)
    head = "".join(f"  {dump(k)}: {dump(doc[k])},\n" for k in TOP_KEYS[:-1])
    rows = ",\n".join("    " + dump(row) for row in doc["rows"])
    return "{\n" + head + '  "rows": [\n' + rows + "\n  ]\n}\n"


def write(args):
    try:
        rows = read_rows(args.rows)
    except (OSError, ValueError) as e:
        print(f"results_json.py: {e}", file=sys.stderr)
        return 1
    doc = {"experiment": args.experiment, "paper": args.paper,
           "quick": args.quick == "true", "rows": rows}
    found = problems(doc)
    if found:
        for p in found:
            print(f"results_json.py: {args.out}: {p}", file=sys.stderr)
        return 1
    text = render(doc)
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    return 0


def no_repeated_keys(pairs):
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"key '{repeated[0]}' appears twice in one object")
    return dict(pairs)


def check(args):
    status = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                # NaN and Infinity are not JSON, but Python's reader takes them;
                # read as NaN, the schema check names them.
                doc = json.load(f, parse_constant=lambda c: float("nan"),
                                object_pairs_hook=no_repeated_keys)
        except (OSError, ValueError) as e:
            print(f"results_json.py: {path}: {e}", file=sys.stderr)
            status = 1
            continue
        for p in problems(doc):
            print(f"results_json.py: {path}: {p}", file=sys.stderr)
            status = 1
    return status


def main():
    parser = argparse.ArgumentParser(prog="results_json.py",
                                     description="write or check an experiment's results.json")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="results.json from a TSV of rows")
    w.add_argument("--experiment", required=True, help="the experiment's folder name, e.g. chung2014")
    w.add_argument("--paper", required=True, help="the paper reproduced, and where its figures are")
    w.add_argument("--quick", required=True, choices=("true", "false"), help="made by run.sh --quick")
    w.add_argument("rows", help="TSV: a header naming the row fields, one line per row")
    w.add_argument("out", help="the results.json to write")
    c = sub.add_parser("check", help="check results.json files against the schema")
    c.add_argument("files", nargs="+")
    args = parser.parse_args()
    return write(args) if args.command == "write" else check(args)


if __name__ == "__main__":
    sys.exit(main())
