"""Interview sessions through the real CLI: workspace, the clock, recorded attempts, status, late flags, kills.

The whole scripted session (every grading route, a hint, the deadline passing, a late edit, reports that
agree, the page in a browser) is tests/test_session_scripted.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, grade

from grader.sessions import MARKER, duration, load_session

SOLUTION = ROOT / "solutions" / "layernorm.py"


def start(tmp_path: Path, *args: str, problems: str = "layernorm,batchnorm") -> dict:
    env = {"NORMKATA_HOME": str(tmp_path / "home")}
    workspace = tmp_path / "ada"
    run = grade("session", "start", "--candidate", "Ada L", "--problems", problems, "--dir", str(workspace), *args, env=env)
    assert run.code == 0, run.stderr
    return {"env": env, "workspace": workspace, "start_output": run.stdout}


@pytest.fixture
def session(tmp_path) -> dict:
    """A 45-minute session on layernorm and batchnorm, begun, in a temporary workspace and store."""
    prepared = start(tmp_path, "--minutes", "45")
    assert grade("session", "begin", cwd=prepared["workspace"], env=prepared["env"]).code == 0
    return prepared


def _db(session: dict) -> Path:
    return Path(json.loads((session["workspace"] / MARKER).read_text())["db"])


def test_workspace_holds_specs_stubs_and_a_makefile(session) -> None:
    workspace = session["workspace"]
    files = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    assert files == [MARKER, "Makefile", "README.md", "batchnorm/README.md", "batchnorm/batchnorm.py",
                     "layernorm/README.md", "layernorm/layernorm.py"]  # fmt: skip
    assert (workspace / "layernorm" / "layernorm.py").read_text() == (ROOT / "problems/layernorm/layernorm.py.orig").read_text()
    readme = (workspace / "README.md").read_text()
    assert "45 min" in readme and "grade session begin" in readme and "make grade P=layernorm" in readme
    assert "Hand over" in session["start_output"] and str(workspace) in session["start_output"]
    assert "The clock starts when the candidate runs `grade session begin`" in session["start_output"]


def test_the_clock_starts_with_begin_and_only_once(tmp_path) -> None:
    prepared = start(tmp_path, "--minutes", "0.5")
    workspace, env = prepared["workspace"], prepared["env"]
    assert "30 s" in (workspace / "README.md").read_text()
    for refused in (grade("layernorm", cwd=workspace, env=env), grade("hint", "layernorm", cwd=workspace, env=env)):
        assert refused.code == 2 and "the session has not begun: run `grade session begin`" in refused.stderr
    assert "not begun" in grade("session", "status", cwd=workspace, env=env).stdout
    first = grade("session", "begin", cwd=workspace / "layernorm", env=env)
    assert first.code == 0 and "Your 30 s start now" in first.stdout
    began = load_session(workspace / MARKER).begun_at
    again = grade("session", "begin", "--workspace", str(workspace), env=env)
    assert again.code == 0 and "This session began at" in again.stdout
    assert load_session(workspace / MARKER).begun_at == began
    assert "left" in grade("session", "status", cwd=workspace, env=env).stdout


def test_problems_get_did_you_mean_and_minutes_take_fractions(tmp_path) -> None:
    run = grade("session", "start", "--candidate", "Bo", "--problems", "layernorm,batchnrom", "--dir", str(tmp_path / "bo"),
                env={"NORMKATA_HOME": str(tmp_path / "home")})  # fmt: skip
    assert run.code == 2 and "no problem named 'batchnrom'. Did you mean: batchnorm" in run.stderr
    assert not (tmp_path / "bo").exists()
    zero = grade("session", "start", "--candidate", "Bo", "--problems", "layernorm", "--minutes", "0", "--dir", str(tmp_path / "bo"))
    assert zero.code == 2 and "--minutes" in zero.stderr


def test_attempts_are_recorded_and_hidden_rows_summarized(session) -> None:
    workspace, env = session["workspace"], session["env"]
    first = grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env)
    assert first.code == 1
    rows = first.rows(category="hidden")
    assert len(rows) == 1 and rows[0]["name"].startswith("0 of ") and "held back" in rows[0]["message"]
    assert first.report["total"] > 30  # the score counts every check, not the folded rows
    shutil.copy(SOLUTION, workspace / "layernorm" / "layernorm.py")
    second = grade("layernorm", "--no-speed", cwd=workspace, env=env)
    assert second.code == 0 and "attempt recorded" in second.stdout and "left" in second.stdout
    status = grade("session", "status", cwd=workspace / "layernorm", env=env)
    assert "layernorm" in status.stdout and "39/39" in status.stdout and "left" in status.stdout
    db = sqlite3.connect(_db(session))
    codes = [row[0] for row in db.execute("SELECT code FROM attempts ORDER BY id")]
    assert len(codes) == 2 and "raise NotImplementedError" in codes[0] and "def layernorm_forward" in codes[1]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_grading_uses_the_session_seed(session) -> None:
    workspace, env = session["workspace"], session["env"]
    seed = load_session(workspace / MARKER).seed
    other = grade("layernorm", "--seed", str(seed + 1), cwd=workspace, env=env)
    assert other.code == 2 and f"every grading of this session uses its seed, {seed}" in other.stderr
    run = grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env)
    assert run.report["seed"] == seed
    assert sqlite3.connect(_db(session)).execute("SELECT seed FROM attempts").fetchall() == [(seed,)]


def test_a_problem_outside_the_session_is_refused(session) -> None:
    workspace, env = session["workspace"], session["env"]
    for run in (grade("rmsnorm", cwd=workspace, env=env), grade("hint", "rmsnorm", cwd=workspace, env=env)):
        assert run.code == 2 and "not part of this session" in run.stderr


def test_late_attempts_are_recorded_and_flagged(session) -> None:
    # Travel in time: the clock started 50 minutes ago (the meta row is the only thing rewritten here).
    db = sqlite3.connect(_db(session))
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'begun_at'", (repr(time.time() - 50 * 60),))
    run = grade("layernorm", "--no-speed", cwd=session["workspace"], env=session["env"])
    assert run.code == 1 and "5 min" in run.stdout and "over the limit: recorded and marked late" in run.stdout
    assert db.execute("SELECT late FROM attempts").fetchall() == [(1,)]
    status = grade("session", "status", "--workspace", str(session["workspace"]), env=session["env"])
    assert "time is up" in status.stdout


def test_hints_in_a_session_are_reported_and_solutions_refused(session) -> None:
    workspace, env = session["workspace"], session["env"]
    assert grade("hint", "batchnorm", cwd=workspace, env=env).code == 0
    assert grade("solution", "batchnorm", "--yes", cwd=workspace, env=env).code == 2
    report = json.loads(grade("session", "report", "--format", "json", cwd=workspace, env=env).stdout)
    hints = {p["problem"]: [h["hint"] for h in p["hints"]] for p in report["problems"]}
    assert hints == {"layernorm": [], "batchnorm": [1]}
    assert [p["status"] for p in report["problems"]] == ["not attempted", "not attempted"]


def test_killed_grading_loses_nothing_recorded(session) -> None:
    workspace, env = session["workspace"], session["env"]
    assert grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env).code == 1
    shutil.copy(SOLUTION, workspace / "layernorm" / "layernorm.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "layernorm"], cwd=workspace, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    time.sleep(1.0)  # mid-grading (the speed row alone takes longer)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env).code == 0
    db = sqlite3.connect(_db(session))
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    scores = [row for row in db.execute("SELECT passed, total FROM attempts WHERE kind = 'attempt' ORDER BY id")]
    assert scores[0][0] == 0 and scores[-1] == (39, 39) and len(scores) in (2, 3)


def test_a_finished_problem_is_on_time_whenever_the_report_is_run(tmp_path) -> None:
    """Done in the first minute, never touched again, reported after the limit: on time, at the deadline and final."""
    prepared = start(tmp_path, "--minutes", "45", problems="layernorm_basic")
    workspace, env = prepared["workspace"], prepared["env"]
    assert grade("session", "begin", cwd=workspace, env=env).code == 0
    shutil.copy(ROOT / "solutions" / "layernorm_basic.py", workspace / "layernorm_basic" / "layernorm_basic.py")
    assert grade("layernorm_basic", cwd=workspace, env=env).code == 0
    db = sqlite3.connect(_db(prepared))
    with db:  # the clock started an hour ago; the attempt was made 60 s after it
        db.execute("UPDATE meta SET value = ? WHERE key = 'begun_at'", (repr(time.time() - 3600),))
        db.execute("UPDATE attempts SET at = ?", (time.time() - 3600 + 60,))
    report = json.loads(grade("session", "report", "--format", "json", cwd=workspace, env=env).stdout)
    (problem,) = report["problems"]
    assert report["deadline_passed"] and problem["final"]["late"] is False
    assert problem["at_deadline"]["attempt"] == 1 and problem["at_deadline"]["after_s"] == 60.0
    assert (problem["at_deadline"]["passed"], problem["final"]["passed"]) == (problem["final"]["total"],) * 2


def test_session_commands_outside_a_workspace_say_so(tmp_path) -> None:
    run = grade("session", "status", cwd=tmp_path, env={"NORMKATA_HOME": str(tmp_path / "home")})
    assert run.code == 2 and "no session here" in run.stderr


def test_a_session_recorded_before_prepare_and_begin_still_loads(tmp_path) -> None:
    """Sessions recorded by the earlier grader (no format, clock started at `start`) report as they did."""
    workspace, db = tmp_path / "ws", tmp_path / "old.db"
    workspace.mkdir()
    (workspace / MARKER).write_text(json.dumps({"id": "old", "db": str(db)}))
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("id", "old"), ("candidate", "Ada"), ("problems", '["layernorm"]'), ("minutes", "45"), ("started_at", "1000.0"),
            ("feedback", "summary"), ("workspace", str(workspace)), ("unsandboxed", "0"),
        ])  # fmt: skip
    connection.close()
    info = load_session(workspace / MARKER)
    assert (info.prepared_at, info.begun_at, info.deadline, info.minutes) == (1000.0, 1000.0, 3700.0, 45.0)
    assert info.seed == load_session(workspace / MARKER).seed  # the same seed for every report


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.4, "0 s"), (33, "33 s"), (60, "1 min"), (725, "12 min 05 s"), (3720, "1 h 02 min"), (-90, "-1 min 30 s")]
)
def test_times_carry_units(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_text_the_candidate_shaped_stays_text_in_the_markdown_report() -> None:
    """An exception message or a file name holding Markdown must not fake a score or hide the rows after it."""
    from markdown_it import MarkdownIt

    from grader.session_markdown import _cell, _item

    attack = "wrong **Final score: 39/39** <!-- the real rows follow\n## rmsnorm: 30/30 [ok](http://x) `code`"
    html = MarkdownIt("commonmark").enable("table").render(_item(attack) + "\n\n| a |\n|---|\n| " + _cell(attack) + " |\n")
    assert "<strong>" not in html and "<!--" not in html and "<h2>" not in html and "<a href" not in html and "<code>" not in html
    assert "Final score: 39/39" in html and "&lt;!--" in html, "the text itself is still shown"
