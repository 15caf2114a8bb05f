"""Self-study commands on a temporary progress store: attempts, list status, hints, solution, show."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CATALOG, ROOT, grade

from grader.store import Store


@pytest.fixture
def home(tmp_path) -> dict:
    return {"NORMKATA_HOME": str(tmp_path / "home")}


def _cli(*args: str, env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **env, "COLUMNS": "200"},
    )  # fmt: skip


def test_attempts_are_recorded_and_listed(home) -> None:
    assert "not started" in _cli("list", env=home).stdout
    grade("layernorm", "--no-speed", "--json", env=home)
    assert "failing, best 0/39 without the speed row (1 try)" in _cli("list", env=home).stdout
    solved = Path(home["NORMKATA_HOME"]).parent / "layernorm.py"
    solved.write_text((ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8"), encoding="utf-8")
    grade("layernorm", "--file", str(solved), "--no-speed", "--json", env=home)
    listing = _cli("list", env=home).stdout
    assert "passing, best 39/39 without the speed row (2 tries)" in listing
    db = sqlite3.connect(f"{home['NORMKATA_HOME']}/normkata.db")
    code, digest = db.execute("SELECT code, code_sha256 FROM attempts ORDER BY id DESC LIMIT 1").fetchone()
    assert "def layernorm_forward" in code and len(digest) == 64
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_grading_the_reference_is_not_progress(home) -> None:
    grade("batchnorm", "--reference", "--no-speed", "--json", env=home)
    assert "not started" in [line for line in _cli("list", env=home).stdout.splitlines() if "batchnorm" in line][0]


def test_hints_come_one_at_a_time_and_are_remembered(home) -> None:
    count = len(CATALOG.get("layernorm").hints)
    first = _cli("hint", "layernorm", env=home).stdout
    assert f"Hint 1 of {count}" in first and "Hint 2" not in first
    second = _cli("hint", "layernorm", env=home).stdout
    assert f"Hint 1 of {count}" in second and f"Hint 2 of {count}" in second
    again = _cli("hint", "layernorm", "--again", env=home).stdout
    assert f"Hint 2 of {count}" in again and "Hint 3" not in again, "--again must not take another hint"
    for _ in range(count - 1):
        last = _cli("hint", "layernorm", env=home).stdout
    assert f"Hint {count} of {count}" in last and "That was the last hint" in last and "grade solution" in last


def test_hint_again_before_any_hint_says_how_to_take_one(home) -> None:
    run = _cli("hint", "batchnorm", "--again", env=home)
    assert run.returncode == 0 and "No hint taken yet" in run.stdout


def test_solution_asks_first_and_is_remembered(home) -> None:
    refused = _cli("solution", "layernorm", env=home, stdin="n\n")
    assert refused.returncode == 0 and "def layernorm_forward" not in refused.stdout, "declining is an answer, not an error"
    assert "Nothing was shown" in refused.stdout and not Store(Path(home["NORMKATA_HOME"])).solution_seen("layernorm")
    no_terminal = _cli("solution", "layernorm", env=home, stdin="")
    assert no_terminal.returncode == 0 and "Aborted" not in no_terminal.stdout + no_terminal.stderr
    shown = _cli("solution", "layernorm", env=home, stdin="y\n")
    assert shown.returncode == 0 and "def layernorm_forward" in shown.stdout
    assert Store(Path(home["NORMKATA_HOME"])).solution_seen("layernorm")


def test_show_renders_the_spec(home) -> None:
    run = _cli("show", "batchnorm", env=home)
    assert run.returncode == 0 and "BatchNorm" in run.stdout and "Expected" in run.stdout
    assert _cli("show", "batchnrom", env=home).returncode == 2


def test_an_unwritable_store_never_costs_the_scorecard(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    run = grade("layernorm", "--no-speed", "--json", env={"NORMKATA_HOME": str(blocker / "home")})
    assert run.code == 1 and run.report["total"] == 39
    assert "progress not saved" in run.stderr


def test_the_last_hint_points_at_the_solution_only_outside_a_session() -> None:
    from rich.console import Console

    from grader.render import hints_panel

    problem = CATALOG.get("rmsnorm")

    def shown(**kwargs) -> str:
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(hints_panel(problem, len(problem.hints), **kwargs))
        return console.export_text()

    assert "grade solution rmsnorm" in shown()
    assert "grade solution" not in shown(solution_available=False) and "last hint" in shown(solution_available=False)


def test_list_shows_the_best_full_run_and_the_help_taken(tmp_path) -> None:
    from grader.model import CheckResult, GradeReport, Status

    def attempt(passed: int, total: int, left_out: tuple[str, ...] = ()) -> GradeReport:
        checks = [CheckResult(f"c{i}", "hidden", Status.PASS if i < passed else Status.FAIL) for i in range(total)]
        return GradeReport("layernorm", "", "f.py", 1, checks, left_out=left_out)

    store = Store(tmp_path)
    store.record_attempt(attempt(38, 40), "code")
    store.record_attempt(attempt(39, 39, ("speed",)), "code")  # every row of a partial run: not a better score
    store.record_attempt(attempt(12, 39, ("speed",)), "code")
    store.record_hint("layernorm", 1)
    store.record_hint("layernorm", 2)
    store.record_solution_seen("batchnorm")
    progress = store.progress()
    ln = progress["layernorm"]
    assert (ln.best_passed, ln.best_total, ln.best_partial, ln.attempts, ln.hints) == (38, 40, False, 3, 2)
    assert (ln.last_passed, ln.last_total) == (12, 39)
    assert progress["batchnorm"].attempts == 0 and progress["batchnorm"].solution_seen
    only_partial = Store(tmp_path / "other")
    only_partial.record_attempt(attempt(39, 39, ("speed",)), "code")
    assert only_partial.progress()["layernorm"].best_partial

    listed = _cli("list", env={"NORMKATA_HOME": str(tmp_path)}).stdout
    assert "best 38/40 (3 tries), 2 hints" in listed and "not started, solution seen" in listed, listed
