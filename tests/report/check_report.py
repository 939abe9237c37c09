#!/usr/bin/env python3
"""Checks a `ferry report` output against the run's journal, reading the output as what it is:

  check_report.py html RUN_DIR REPORT.html WINDOW_END
      The page parses as HTML with every element closed; its SVG parses as XML; the SVG has one
      row (g.step) per step the journal reached, one bar per attempt at the journal's times, bars
      placed left to right as time goes, axis ticks in order, and the downtime window from the
      start of `stop` to WINDOW_END: `available` (its success), `rollback` (stop's undo) or
      `open` (the journal's end).
  check_report.py mermaid RUN_DIR REPORT.md WINDOW_END [RUN_DIR REPORT.md WINDOW_END]...
      The ```mermaid block, read back by the real Mermaid parser (tests/mermaid/gantt_tasks.mjs),
      has a task per attempt, per compensation and for the window, at the journal's times, with
      the names and tags ferry meant.

Exits 1 with what is wrong.
"""
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MERMAID = os.path.join(HERE, "..", "mermaid")
SVG = "{http://www.w3.org/2000/svg}"
ENDS = {"attempt_failed": "retried", "step_succeeded": "succeeded", "step_failed": "failed",
        "step_cancelled": "cancelled"}


def fail(message):
    raise SystemExit(f"check_report: {message}")


def journal(run_dir):
    """The journal's events, without its header and a torn last line."""
    events = []
    with open(os.path.join(run_dir, "journal.jsonl")) as f:
        for line in f.read().splitlines()[1:]:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return events


def spans(events):
    """Each step's attempts [start, end, how] and compensations [start, end, result], with what a
    process left open ended at its last event, as the report draws them."""
    attempts, undos, last = {}, {}, 0
    def close_open(at, how):
        for a in attempts.values():
            if a and a[-1][1] is None:
                a[-1][1:] = [at, how]
        for u in undos.values():
            if u and u[-1][1] is None:
                u[-1][1:] = [at, how]
    for e in events:
        ev, t, step = e["event"], e["t"], e.get("step")
        if ev in ("run_started", "rollback_started", "step_assumed_done"):
            close_open(last, "interrupted")
        last = max(last, t)
        if ev == "step_started":
            attempts.setdefault(step, []).append([t, None, None])
        elif ev in ENDS and attempts.get(step) and attempts[step][-1][1] is None:
            attempts[step][-1][1:] = [t, ENDS[ev]]
        elif ev == "compensation_started":
            undos.setdefault(step, []).append([t, None, None])
        elif ev in ("compensation_succeeded", "compensation_failed"):
            undos[step][-1][1:] = [t, ev.split("_")[1]]
        elif ev == "compensation_skipped":
            undos.setdefault(step, []).append([t, t, "skipped"])
    close_open(last, "unfinished")
    return attempts, undos, last


def window(events, attempts, undos, last, end):
    start = attempts["stop"][0][0]
    if end == "available":
        stop = next(e["t"] for e in events if e["event"] == "step_succeeded" and e["step"] == "available")
    elif end == "rollback":
        stop = next(u[1] for u in undos["stop"] if u[2] == "succeeded")
    else:
        stop = last
    return start, stop


class Balanced(html.parser.HTMLParser):
    """Fails on an element closed out of order or left open (void elements aside)."""
    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            fail(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}> at line {self.getpos()[0]}")
        self.open.pop()


def check_html(run_dir, page_path, end):
    page = open(page_path).read()
    if not page.startswith("<!DOCTYPE html>"):
        fail("no doctype")
    parser = Balanced()
    parser.feed(page)
    parser.close()
    if parser.open:
        fail(f"elements left open: {parser.open}")
    for fetch in ("<script", "src=", "href=", "url(", "@import"):
        if fetch in page:
            fail(f"the page would fetch something: {fetch}")
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    if len(svgs) != 1:
        fail(f"{len(svgs)} svg elements, wanted one")
    svg = ET.fromstring(svgs[0])
    width = float(svg.get("width"))

    events = journal(run_dir)
    attempts, undos, last = spans(events)
    reached = [e["step"] for e in events if e["event"] in ("step_started", "step_skipped", "step_assumed_done")]
    rows = {g.get("data-step"): g for g in svg.iter(SVG + "g") if g.get("class") == "step"}
    if sorted(rows) != sorted(set(reached)):
        fail(f"rows {sorted(rows)}, the journal reached {sorted(set(reached))}")
    bars = []
    for step, g in rows.items():
        drawn = [(int(r.get("data-start-ms")), int(r.get("data-end-ms")), r.get("class").split()[-1])
                 for r in g.iter(SVG + "rect") if "attempt" in r.get("class").split()]
        want = [tuple(a) for a in attempts.get(step, [])]
        if drawn != want:
            fail(f"{step}: bars {drawn}, the journal's attempts {want}")
        bars += [r for r in g.iter(SVG + "rect") if "bar" in r.get("class").split()]
    for g in svg.iter(SVG + "g"):
        if g.get("class") == "compensation":
            r = next(g.iter(SVG + "rect"))
            span = [int(r.get("data-start-ms")), int(r.get("data-end-ms")), r.get("class").split()[-1]]
            if span not in undos.get(g.get("data-step"), []):
                fail(f"compensation of {g.get('data-step')} drawn {span}, the journal has {undos.get(g.get('data-step'))}")
            bars.append(r)
    if len(bars) < len(rows):
        fail("a step without a bar")
    # Left to right as time goes, and inside the picture.
    bars.sort(key=lambda r: (int(r.get("data-start-ms")), float(r.get("x"))))
    xs = [float(r.get("x")) for r in bars]
    if xs != sorted(xs):
        fail(f"bars are not placed in time order: {xs}")
    for r in bars:
        if float(r.get("x")) + float(r.get("width")) > width + 0.5 or float(r.get("width")) <= 0:
            fail(f"bar outside the picture: {r.attrib}")
        if int(r.get("data-start-ms")) > int(r.get("data-end-ms")):
            fail(f"a bar ends before it starts: {r.attrib}")
    ticks = [int(g.get("data-t-ms")) for g in svg.iter(SVG + "g") if g.get("class") == "tick"]
    if not ticks or ticks != sorted(ticks):
        fail(f"axis ticks {ticks}")
    downtime = [r for r in svg.iter(SVG + "rect") if r.get("class", "").split()[:1] == ["downtime"]]
    if len(downtime) != 1:
        fail(f"{len(downtime)} downtime windows")
    start, stop = window(events, attempts, undos, last, end)
    got = (int(downtime[0].get("data-start-ms")), int(downtime[0].get("data-end-ms")))
    if got != (start, stop):
        fail(f"downtime window {got}, the journal's {(start, stop)}")
    if not any(g.get("class") == "legend" for g in svg.iter(SVG + "g")):
        fail("no legend")


def mermaid_entities(text):
    """Mermaid keeps `#58;` as an internal placeholder until it draws: decoded here as it would be."""
    return re.sub(r"ﬂ°°(\d+)¶ß", lambda m: chr(int(m.group(1))), text).strip()


def check_mermaid(cases):
    charts = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (_, report, _) in enumerate(cases):
            found = re.findall(r"```mermaid\n(.*?)```", open(report).read(), re.S)
            if len(found) != 1:
                fail(f"{report}: {len(found)} mermaid blocks")
            path = os.path.join(tmp, f"chart{i}.mmd")
            open(path, "w").write(found[0])
            charts.append(path)
        subprocess.run([os.path.join(MERMAID, "install.sh")], check=True)
        result = subprocess.run(["node", os.path.join(MERMAID, "gantt_tasks.mjs")] + charts,
                                capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"Mermaid refused a chart: {result.stderr.strip()}")
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    for (run_dir, report, end), chart in zip(cases, parsed):
        events = journal(run_dir)
        attempts, undos, last = spans(events)
        tasks = [dict(t, task=mermaid_entities(t["task"])) for t in chart["tasks"]]
        want = {}
        start, stop = window(events, attempts, undos, last, end)
        want[(start, stop)] = ["crit"]
        for step, spans_ in attempts.items():
            for n, (s, e, how) in enumerate(spans_):
                want[(s, e, step if len(spans_) == 1 and how == "succeeded" else f"{step} (attempt {n + 1}, {how})")] = \
                    ["done"] if how == "succeeded" else ["active"] if how == "unfinished" else ["crit"]
        for step, spans_ in undos.items():
            for s, e, result_ in spans_:
                want[(s, e, f"undo {step} ({result_})")] = {"succeeded": ["done"], "skipped": ["milestone"], "unfinished": ["active"]}.get(
                    result_, ["crit"])
        got = {}
        for t in tasks:
            key = (t["start"], t["end"]) if t["section"] == "control-plane downtime" else (t["start"], t["end"], t["task"])
            got[key] = t["tags"]
        if got != want:
            fail(f"{report}: Mermaid read the tasks\n  {sorted(got.items())}\nthe journal has\n  {sorted(want.items())}")
        sections = []
        for t in tasks:
            if not sections or sections[-1] != t["section"]:
                sections.append(t["section"])
        if sections[0] != "control-plane downtime" or (undos and sections[-1] != "rollback"):
            fail(f"{report}: sections {sections}")


def main():
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "html":
        check_html(*args[1:])
    elif len(args) >= 4 and args[0] == "mermaid" and (len(args) - 1) % 3 == 0:
        check_mermaid([tuple(args[i:i + 3]) for i in range(1, len(args), 3)])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
