#!/usr/bin/env python3
"""report_check.py REPORT DOM — checks the page scripts/report.py rendered: REPORT (the file)
holds a results table for every experiment's results*.json with all its rows, and DOM (what
headless Chromium's --dump-dom printed after loading REPORT with a script counting the
images that decoded) says every image loaded.  Prints one "ok"/"FAIL" line per check and
exits 1 on any failure."""
import glob
import json
import os
import re
import sys
from html.parser import HTMLParser

top = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


class Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.current, self.images = {}, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "results" in (a.get("class") or ""):
            self.current = a.get("data-source")
            self.tables[self.current] = {"rows": 0, "declared": int(a.get("data-rows", -1))}
        elif tag == "tr" and self.current:
            self.tables[self.current]["rows"] += 1
        elif tag == "img":
            self.images += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None


failed = 0


def check(name, ok):
    global failed
    print(("ok " if ok else "FAIL report: ") + name)
    failed += not ok


report, dom = sys.argv[1], sys.argv[2]
page = Tables()
page.feed(open(report, encoding="utf-8").read())
for name in sorted(os.listdir(os.path.join(top, "experiments"))):
    folder = os.path.join(top, "experiments", name)
    found = sorted(p for p in glob.glob(os.path.join(folder, "**", "results*.json"), recursive=True)
                   if not {"runs", "data"} & set(os.path.relpath(p, folder).split(os.sep)))
    for path in found:
        rows = len(json.load(open(path))["rows"])
        t = page.tables.get(os.path.relpath(path, top))
        check(f"{os.path.relpath(path, top)}: its table, with {rows} rows", t is not None and t["rows"] == rows + 1)
check(f"the page shows {page.images} images, at least one per experiment with curves", page.images > 0)
text = open(dom, encoding="utf-8", errors="replace").read()
m = re.search(r'data-images-loaded="(\d+)/(\d+)"', text)
check(f"Chromium loaded every image ({m.group(1) + '/' + m.group(2) if m else 'no count in the DOM'})",
      m is not None and m.group(1) == m.group(2) == str(page.images))
check("Chromium saw the speed section", 'id="speed"' in text and "<table" in text.split('id="speed"')[-1])
sys.exit(1 if failed else 0)
