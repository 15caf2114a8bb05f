"""Interview sessions through the real CLI: workspace, recorded attempts, status, late flags, reports, kills."""

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

SOLUTION = ROOT / "solutions" / "layernorm.py"


@pytest.fixture
def session(tmp_path) -> dict:
    """A 45-minute session on layernorm and batchnorm, in a temporary workspace and store."""
    env = {"NORMKATA_HOME": str(tmp_path / "home")}
    workspace = tmp_path / "ada"
    run = grade("session", "start", "--candidate", "Ada L", "--problems", "layernorm,batchnorm", "--minutes", "45",
                "--dir", str(workspace), env=env)  # fmt: skip
    assert run.code == 0, run.stderr
    return {"env": env, "workspace": workspace, "start_output": run.stdout}


def _db(session: dict) -> Path:
    pointer = json.loads((session["workspace"] / ".normkata-session.json").read_text())
    return Path(pointer["db"])


def test_workspace_holds_specs_and_stubs_only(session) -> None:
    workspace = session["workspace"]
    files = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    assert files == [".normkata-session.json", "README.md", "batchnorm/README.md", "batchnorm/batchnorm.py",
                     "layernorm/README.md", "layernorm/layernorm.py"]  # fmt: skip
    assert (workspace / "layernorm" / "layernorm.py").read_text() == (ROOT / "problems/layernorm/layernorm.py.orig").read_text()
    assert "45 minutes" in (workspace / "README.md").read_text()
    assert "Hand over" in session["start_output"] and str(workspace) in session["start_output"]


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


def test_a_problem_outside_the_session_is_refused(session) -> None:
    run = grade("rmsnorm", cwd=session["workspace"], env=session["env"])
    assert run.code == 2 and "not part of this session" in run.stderr


def test_late_attempts_are_recorded_and_flagged(session) -> None:
    # Travel in time: the session started 50 minutes ago (the meta row is the only thing rewritten here).
    db = sqlite3.connect(_db(session))
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'started_at'", (repr(time.time() - 50 * 60),))
    run = grade("layernorm", "--no-speed", cwd=session["workspace"], env=session["env"])
    assert run.code == 1 and "over the limit" in run.stdout and "late" in run.stdout
    assert db.execute("SELECT late FROM attempts").fetchall() == [(1,)]
    status = grade("session", "status", "--workspace", str(session["workspace"]), env=session["env"])
    assert "time is up" in status.stdout


def test_hints_in_a_session_are_reported_and_solutions_refused(session) -> None:
    workspace, env = session["workspace"], session["env"]
    assert grade("hint", "batchnorm", cwd=workspace, env=env).code == 0
    assert grade("solution", "batchnorm", "--yes", cwd=workspace, env=env).code == 2
    report = json.loads(grade("session", "report", "--format", "json", "--seed", "3", cwd=workspace, env=env).stdout)
    hints = {p["problem"]: p["hints_taken"] for p in report["problems"]}
    assert hints == {"layernorm": 0, "batchnorm": 1}


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


def test_report_html_holds_scores_timeline_and_code(session, tmp_path) -> None:
    workspace, env = session["workspace"], session["env"]
    grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env)
    shutil.copy(SOLUTION, workspace / "layernorm" / "layernorm.py")
    grade("layernorm", "--no-speed", "--json", cwd=workspace, env=env)
    output = tmp_path / "ada.html"
    run = grade("session", "report", "--workspace", str(workspace), "--format", "html", "--output", str(output), "--seed", "5", env=env)
    assert run.code == 0, run.stderr
    html = output.read_text()
    assert html.lstrip().startswith("<!DOCTYPE html>")
    for expected in ("Ada L", "Final scores", "Timeline of attempts", "layernorm", "batchnorm", "40/40", "0/39",
                     ">layernorm_forward</span>", "hidden", "gradcheck"):  # fmt: skip
        assert expected in html, expected
    svg = grade("session", "report", "--workspace", str(workspace), "--format", "svg", "--seed", "5", env=env).stdout
    assert svg.startswith("<svg") and "Ada" in svg
    markdown = grade("session", "report", "--workspace", str(workspace), "--seed", "5", env=env).stdout
    assert "# normkata session report: Ada L" in markdown and "**Final score: 40/40**" in markdown


def test_session_commands_outside_a_workspace_say_so(tmp_path) -> None:
    run = grade("session", "status", cwd=tmp_path, env={"NORMKATA_HOME": str(tmp_path / "home")})
    assert run.code == 2 and "no session here" in run.stderr
