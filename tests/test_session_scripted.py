"""One interview, scripted end to end through the real CLI, and the record it must leave.

Prepared, then begun; attempts through every route (`grade P` in the workspace, `--file` with a relative
and an absolute path, `grade watch`, `make grade`); a hint; the deadline passing; a late edit; reports in
every format that agree, twice. Time passes by moving every stored timestamp back together (the clock
moved on), never by sleeping. layernorm_basic keeps it quick: each grading takes about a second.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from html import unescape as html_unescape
from pathlib import Path

import pytest
from helpers import ROOT, grade

from grader.sessions import MARKER, duration

SLUG = "layernorm_basic"
LIMIT_MIN = 10
CANDIDATE = "Ada <i>L.</i>"  # the page shows what candidates type, never runs it
LONG_LINE = "    # the late edit: </pre><script>alert(1)</script> " + "a comment far wider than the page, " * 8 + "END-OF-THE-LONGEST-LINE"


def _travel(db: Path, seconds: float) -> None:
    """Move the session `seconds` into the future: every recorded time goes back by as much."""
    with sqlite3.connect(db) as connection:
        for key in ("prepared_at", "begun_at"):
            connection.execute("UPDATE meta SET value = CAST(CAST(value AS REAL) - ? AS TEXT) WHERE key = ?", (seconds, key))
        connection.execute("UPDATE attempts SET at = at - ?", (seconds,))
        connection.execute("UPDATE hints SET at = at - ?", (seconds,))
    connection.close()


@pytest.fixture(scope="module")
def interview(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("interview")
    env = {"NORMKATA_HOME": str(root / "home")}
    ws = root / "ws"
    stub = ws / SLUG / f"{SLUG}.py"
    solution = (ROOT / "solutions" / f"{SLUG}.py").read_text(encoding="utf-8")
    buggy = solution.replace("np.sqrt(var + eps)", "np.sqrt(var + 2 * eps)")
    assert buggy != solution
    runs = {}

    start = grade("session", "start", "--candidate", CANDIDATE, "--problems", f"{SLUG},batchnorm", "--minutes", str(LIMIT_MIN),
                  "--dir", str(ws), env=env)  # fmt: skip
    assert start.code == 0, start.stderr
    db = Path(json.loads((ws / MARKER).read_text())["db"])
    runs["before_begin"] = grade(SLUG, cwd=ws, env=env)
    _travel(db, 300)  # the candidate arrives five minutes after the workspace was prepared
    runs["begin"] = grade("session", "begin", cwd=ws, env=env)
    begun = time.monotonic()

    runs["plain"] = grade(SLUG, "--no-speed", "--json", cwd=ws, env=env)  # 1: the stub, `grade P` in the workspace
    _travel(db, 60)
    stub.write_text(buggy, encoding="utf-8")
    runs["relative"] = grade(SLUG, "--file", f"{SLUG}.py", "--no-speed", "--json", cwd=ws / SLUG, env=env)  # 2: eps doubled
    _travel(db, 30)
    runs["hint"] = grade("hint", SLUG, cwd=ws, env=env)
    _travel(db, 90)
    stub.write_text(solution, encoding="utf-8")
    runs["absolute"] = grade(SLUG, "--file", str(stub), "--no-speed", "--json", cwd=root, env=env)  # 3: right, from outside
    _travel(db, 60)
    runs["watch"] = grade("watch", SLUG, "--runs", "1", cwd=ws, env=env)  # 4: the same code, through watch
    _travel(db, 60)
    runs["make"] = subprocess.run(["make", "grade", f"P={SLUG}", "ARGS=--no-speed"], cwd=ws, env={**os.environ, **env, "COLUMNS": "160"},
                                  capture_output=True, text=True, timeout=120)  # 5: the same code, through make grade
    real_s = time.monotonic() - begun  # how far the real clock moved on top of the travels

    _travel(db, LIMIT_MIN * 60)  # the deadline passes
    stub.write_text(solution.rstrip("\n").replace("    return out", LONG_LINE + "\n    return out") + "\n", encoding="utf-8")
    runs["late"] = grade(SLUG, "--no-speed", cwd=ws, env=env)  # 6: the late edit, graded (and marked late)

    reports = {}
    for name, fmt in (("first.json", "json"), ("report.md", "md"), ("report.html", "html"), ("second.json", "json")):
        run = grade("session", "report", "--workspace", str(ws), "--output", str(root / name), env=env)
        assert run.code == 0, run.stderr
        reports[fmt if fmt != "json" else name] = (root / name).read_text(encoding="utf-8")
        reports.setdefault("seconds", []).append(run.seconds)
    return {"root": root, "ws": ws, "db": db, "runs": runs, "reports": reports, "solution": solution, "buggy": buggy, "real_s": real_s}


def test_every_route_is_a_recorded_attempt_with_the_session_feedback(interview) -> None:
    runs = interview["runs"]
    assert runs["before_begin"].code == 2 and "has not begun" in runs["before_begin"].stderr
    assert runs["begin"].code == 0 and f"Your {LIMIT_MIN} min start now" in runs["begin"].stdout
    for name in ("plain", "relative", "absolute"):
        hidden = runs[name].rows(category="hidden")
        assert len(hidden) == 1 and re.fullmatch(r"\d+ of \d+ hidden checks pass", hidden[0]["name"]), (name, hidden)
    assert runs["plain"].code == 1 and runs["relative"].code == 1 and runs["absolute"].code == 0
    assert runs["watch"].code == 0 and runs["make"].returncode == 0, runs["make"].stderr
    for name in ("watch", "make"):
        out = runs[name].stdout
        assert "11 of 11 hidden checks pass" in out and "result vs reference" not in out, (name, out[-2000:])
    assert "every save is a recorded attempt" in runs["watch"].stdout
    assert runs["late"].code == 0 and "over the limit: recorded and marked late" in runs["late"].stdout

    db = sqlite3.connect(interview["db"])
    seed = int(db.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()[0])
    attempts = db.execute("SELECT late, seed, code FROM attempts WHERE kind = 'attempt' ORDER BY id").fetchall()
    assert [late for late, _, _ in attempts] == [0, 0, 0, 0, 0, 1]
    assert {s for _, s, _ in attempts} == {seed}
    assert attempts[1][2] == interview["buggy"] and attempts[2][2] == interview["solution"]
    finals = db.execute("SELECT seed FROM attempts WHERE kind = 'final'").fetchall()
    assert finals == [(seed,), (seed,)]  # the final code and the code at the deadline, graded once for all four reports


def test_the_json_report_holds_the_record(interview) -> None:
    report = json.loads(interview["reports"]["first.json"])
    assert report["seed"] == int(sqlite3.connect(interview["db"]).execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()[0])
    assert report["deadline_passed"] is True and report["minutes"] == LIMIT_MIN
    problem, untouched = report["problems"]
    timeline = problem["timeline"]
    travelled = [0, 60, 180, 240, 300]  # seconds after the start, plus the real time the gradings took
    assert all(0 <= t["after_s"] - planned <= interview["real_s"] + 1 for t, planned in zip(timeline, travelled)), timeline
    assert timeline[5]["after_s"] > LIMIT_MIN * 60
    assert [t["late"] for t in timeline] == [False] * 5 + [True]
    assert [t["passed"] == t["total"] for t in timeline] == [False, False, True, True, True, True]
    assert 0 < timeline[1]["passed"] < timeline[1]["total"]
    assert all(t["file"] == f"{SLUG}/{SLUG}.py" for t in timeline)
    assert timeline[1]["code"] == interview["buggy"] and "+    out *= (1.0 / np.sqrt(var + 2 * eps))" in timeline[1]["diff"]
    assert timeline[3]["diff"] == "" and timeline[2]["categories"]["hidden"]["passed"] == timeline[2]["categories"]["hidden"]["total"]
    (hint,) = problem["hints"]
    assert hint["hint"] == 1 and 90 <= hint["after_s"] <= 90 + interview["real_s"] + 1 and hint["late"] is False
    assert problem["at_deadline"]["attempt"] == 5 and problem["at_deadline"]["passed"] == problem["at_deadline"]["total"]
    assert "speed" in problem["at_deadline"]["categories"]  # scored like the final code: the full suite
    final = problem["final"]
    assert final["late"] is True and final["passed"] == final["total"] and LONG_LINE in final["code"]
    assert LONG_LINE in final["changes_after_deadline"]
    spent = problem["time_spent"]
    assert spent["first_to_last_s"] == pytest.approx(timeline[5]["after_s"] - timeline[0]["after_s"], abs=0.2)
    assert spent["start_to_last_s"] == timeline[5]["after_s"]
    assert untouched["status"] == "not attempted" and untouched["final"] is None and untouched["timeline"] == []


def test_two_reports_agree_and_only_their_time_differs(interview) -> None:
    reports = interview["reports"]
    first, second = json.loads(reports["first.json"]), json.loads(reports["second.json"])
    assert first.pop("report_after_s") <= second.pop("report_after_s")
    assert first == second
    problem = first["problems"][0]
    at_deadline, final = (f"{problem[k]['passed']}/{problem[k]['total']}" for k in ("at_deadline", "final"))
    for fmt in ("md", "html"):
        text = reports[fmt]
        assert f"{at_deadline} (attempt 5, at {duration(problem['at_deadline']['after_s'])})" in text, fmt
        assert f"{final}, late" in text and f"seed {first['seed']}" in text, fmt
    print(f"report times: {', '.join(f'{s:.1f} s' for s in reports['seconds'])} (the first grades, the others read the record)")


def test_the_markdown_reads_as_a_record(interview) -> None:
    md = interview["reports"]["md"]
    assert "## batchnorm" in md and md.rstrip().endswith("Not attempted: never graded, and the file is still the original stub.")
    assert "not implemented" not in md.lower()
    prose = re.sub(r"```.*?```", "", md, flags=re.S)  # the code blocks aside
    prose = "\n".join(line for line in prose.splitlines() if not line.startswith(("- Prepared", "- Began", "- Report written")))
    assert not re.search(r"(?<![\d:])\d{1,2}:\d\d(?![\d:])", prose), "a time without units"
    assert re.search(r"\| 6 \| \d+ min \d\d s \(late\) \|", md) and re.search(r"Hints: hint 1 at \d+ min \d\d s", md)
    assert "```diff" in md and "### Changes after the deadline" in md and LONG_LINE in md


def test_the_html_page_is_self_contained(interview) -> None:
    html = interview["reports"]["html"]
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<polyline" in html and "<details>" in html
    assert not re.search(r"""<(link|img|iframe|object|embed)\b|\bsrc\s*=|url\(\s*['"]?(https?:|//)""", html)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in policy
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" in policy
    assert "Ada &lt;i&gt;L.&lt;/i&gt;" in html and CANDIDATE not in html and "@media print" in html
    assert html.count("<script>") == 1 and "&lt;/pre&gt;&lt;script&gt;alert" in html


MEASURE = """
const pre = document.querySelector('pre[data-final]');
const longest = [...pre.querySelectorAll('.l')].reduce((a, b) => (b.textContent.length > a.textContent.length ? b : a));
const box = pre.getBoundingClientRect();
const range = document.createRange();
range.selectNodeContents(longest);
const rects = [...range.getClientRects()].filter((r) => r.width > 0);
document.body.setAttribute('data-measure', JSON.stringify({
  text: longest.textContent,
  inside: rects.every((r) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.right <= innerWidth),
  rows: new Set(rects.map((r) => Math.round(r.top))).size,
  clipped: pre.scrollWidth - pre.clientWidth,
  page_wider: document.documentElement.scrollWidth - innerWidth,
}));
"""


def _browser() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)


@pytest.mark.skipif(_browser() is None, reason="no chromium to render the page: apt-get install chromium (.ci/run installs it)")
def test_a_browser_renders_the_page_and_the_longest_line_whole(interview) -> None:
    root, html = interview["root"], interview["reports"]["html"]
    browser = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600", f"--user-data-dir={root / 'profile'}"]
    page = root / "report.html"
    shot, printed = root / "report.png", root / "report.pdf"
    # One browser draws the page and prints it (each start costs about 1.5 CPU-s): its log holds both.
    run = subprocess.run([*browser, "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", f"--print-to-pdf={printed}", page.as_uri()],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Content Security Policy" in line]
    assert not console, "the page logged:\n" + "\n".join(console)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 30_000, len(png)  # a drawn page, not a blank one

    # The same page, measured by a script the test adds (and allows in the page's policy): the longest line of
    # the final code lies whole inside its box, wrapped onto several rows rather than clipped or scrolled.
    digest = base64.b64encode(hashlib.sha256(MEASURE.encode()).digest()).decode()
    measured = root / "measured.html"
    measured.write_text(html.replace("script-src ", f"script-src 'sha256-{digest}' ").replace("</body>", f"<script>{MEASURE}</script></body>"))
    dom = subprocess.run([*browser, "--dump-dom", measured.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r"data-measure=\"([^\"]+)\"", dom.stdout)
    assert found, dom.stderr[-3000:]
    measure = json.loads(html_unescape(found.group(1)))
    assert measure["text"] == LONG_LINE
    assert measure["inside"] and measure["rows"] >= 2 and measure["clipped"] <= 0 and measure["page_wider"] <= 0, measure

    # Printing opens the folds (the page's one script): the PDF holds every diff and every attempt's code.
    folded = root / "folded.html"
    folded.write_text(re.sub(r"<script>.*?</script>", "", html, flags=re.S))
    subprocess.run([*browser, f"--print-to-pdf={root / 'folded.pdf'}", folded.as_uri()], capture_output=True, timeout=120, check=True)
    pages = {source: len(re.findall(rb"/Type\s*/Page[^s]", (root / f"{source}.pdf").read_bytes())) for source in ("report", "folded")}
    assert pages["report"] > pages["folded"] >= 1, pages
    print(f"screenshot {shot} ({len(png) / 1024:.0f} KiB); longest line on {measure['rows']} rows; printed {pages['report']} pages")
