#!/usr/bin/env python3
"""report.py — renders docs/report.html: one static page with every experiment's results
(ours beside the paper's, quick or full marked), its curves, its samples, and the speed
tables of docs/benchmarks.md.  No network, no JavaScript: the curves are embedded.

    python3 scripts/report.py [--out docs/report.html]      # or: make report

What it reads, from the checkout: experiments/<name>/ (its README's title, every
results*.json below it but in runs/ and data/, every .svg, every samples*.md) and
docs/benchmarks.md."""
import argparse
import base64
import html
import json
import os
import re
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SKIP = {"runs", "data"}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.8em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
.quick { color: #a15c00; font-weight: 600; } .full { color: #1d6b1d; font-weight: 600; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; } figure img { max-width: 34em; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
code { background: #f3f3f3; padding: 0 0.2em; }
nav a { margin-right: 1em; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def inline(text):
    """Markdown's inline code, bold and links (as text) in escaped text."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            out.append(f"<code>{esc(p[1:-1])}</code>")
        else:
            p = esc(p)
            p = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", p)
            p = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", p)
            out.append(p)
    return "".join(out)


def markdown(text, shift=1):
    """The subset of Markdown our documents use: headings (moved down by shift), fenced code,
    tables, lists and paragraphs."""
    out, para, lines, i = [], [], text.splitlines(), 0

    def flush():
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append(f"<pre>{esc(chr(10).join(lines[i + 1:j]))}</pre>")
            i = j + 1
            continue
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m:
            flush()
            level = min(6, len(m.group(1)) + shift)
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"\|\s*:?-", lines[i + 1]):
            flush()
            cells = lambda row: [c.strip() for c in row.strip().strip("|").split("|")]  # noqa: E731
            rows = [f"<tr>{''.join(f'<th>{inline(c)}</th>' for c in cells(line))}</tr>"]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(f"<tr>{''.join(f'<td>{inline(c)}</td>' for c in cells(lines[i]))}</tr>")
                i += 1
            out.append(f"<table>{''.join(rows)}</table>")
            continue
        elif re.match(r"\s*[-*] ", line):
            flush()
            items = []
            while i < len(lines) and lines[i].strip():
                if re.match(r"\s*[-*] ", lines[i]):
                    items.append(re.sub(r"^\s*[-*] ", "", lines[i]))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{inline(t)}</li>" for t in items) + "</ul>")
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def walk(folder):
    """Files below folder, runs/ and data/ left out, sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP)
        found += [os.path.join(root, f) for f in sorted(files)]
    return found


def number(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.0f}"
    return str(v)


def results_table(doc, anchor, source):
    quick = doc.get("quick")
    head = ("model", "setting", "metric", "ours", "paper", "parameters", "seconds")
    rows = []
    for r in doc["rows"]:
        better = ""
        if r.get("paper_value") is not None:
            ours, paper = r["value"], r["paper_value"]
            better = " ✓" if (ours <= paper if r["lower_is_better"] else ours >= paper) else ""
        cells = [esc(r["model"]), esc(r["setting"]), esc(r["metric"]),
                 f'<td class="num">{number(r["value"])}{better}</td>', f'<td class="num">{number(r.get("paper_value"))}</td>',
                 f'<td class="num">{number(r["params"])}</td>', f'<td class="num">{number(r["seconds"])}</td>']
        rows.append("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>")
    mark = '<span class="quick">quick run</span>' if quick else '<span class="full">full run</span>'
    return (f'<p>{mark} — {esc(doc["paper"])}</p>'
            f'<table class="results" id="{anchor}" data-source="{esc(source)}" data-rows="{len(doc["rows"])}">'
            f'<tr>{"".join(f"<th>{h}</th>" for h in head)}</tr>{"".join(rows)}</table>')


def image(path, rel):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return (f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{esc(rel)}">'
            f'<figcaption>{esc(rel)}</figcaption></figure>')


def experiment(name):
    folder = os.path.join(TOP, "experiments", name)
    files = walk(folder)
    results = [f for f in files if re.match(r"results.*\.json$", os.path.basename(f))]
    if not results:
        return None, 0
    title = name
    readme = os.path.join(folder, "README.md")
    if os.path.exists(readme):
        with open(readme) as f:
            first = f.readline().strip()
        title = re.sub(r"^#+\s*", "", first) or name
    parts = [f'<h2 id="{esc(name)}">{inline(title)}</h2>',
             f'<p>From <code>experiments/{esc(name)}/</code>; its README explains the runs, the budget and the '
             'differences from the paper. ✓: as good as the paper\'s figure or better.</p>']
    for k, path in enumerate(results):
        rel = os.path.relpath(path, folder)
        with open(path) as f:
            doc = json.load(f)
        parts.append(f"<h3>{esc(rel)}</h3>")
        parts.append(results_table(doc, f"table-{name}-{k}", f"experiments/{name}/{rel}"))
    svgs = [f for f in files if f.endswith(".svg")]
    if svgs:
        parts.append("<h3>Curves</h3>")
        parts += [image(p, os.path.relpath(p, folder)) for p in svgs]
    for p in (f for f in files if re.match(r"samples.*\.md$", os.path.basename(f))):
        with open(p) as f:
            parts.append(f'<div class="samples">{markdown(f.read(), shift=2)}</div>')
    return "\n".join(parts), len(results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(TOP, "docs", "report.html"))
    args = parser.parse_args(argv)
    names = sorted(d for d in os.listdir(os.path.join(TOP, "experiments"))
                   if os.path.isdir(os.path.join(TOP, "experiments", d)) and d != "lib")
    sections, shown, tables = [], [], 0
    for name in names:
        body, n = experiment(name)
        if body:
            sections.append(body)
            shown.append(name)
            tables += n
    with open(os.path.join(TOP, "docs", "benchmarks.md")) as f:
        speed = markdown(f.read(), shift=1)
    nav = "".join(f'<a href="#{esc(n)}">{esc(n)}</a>' for n in shown) + '<a href="#speed">speed</a>'
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>recur: results and speed</title>'
            f"<style>{STYLE}</style></head><body>\n<h1>recur: reproductions and speed</h1>\n"
            "<p>Every experiment's results beside the paper's numbers (quick runs marked: they show a result's "
            "direction on a reduced budget, not the paper's figure), its learning curves and samples, and the "
            "speed tables of <code>docs/benchmarks.md</code>. Rendered by <code>make report</code> from the "
            "files in the checkout.</p>\n"
            f"<nav>{nav}</nav>\n" + "\n".join(sections) +
            f'\n<h2 id="speed">Speed</h2>\n<div class="speed">{speed}</div>\n</body></html>\n')
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(page)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(shown)} experiments, {tables} result tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
