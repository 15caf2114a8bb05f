"""The user's progress: every grading attempt, hints taken, solutions seen. SQLite, WAL, insert-only.

Rows are appended and never rewritten, each in its own short transaction, so a crash or a killed process
loses nothing already recorded, and two `grade` processes (a watch loop and a manual run) can write at
once. The file lives where the platform keeps per-user data; NORMKATA_HOME overrides it (tests, or people
who keep several).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from grader.model import GradeReport

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, problem TEXT NOT NULL, file TEXT NOT NULL,
    code TEXT NOT NULL, code_sha256 TEXT NOT NULL, seed INTEGER NOT NULL,
    passed INTEGER NOT NULL, total INTEGER NOT NULL, speed_ratio REAL, report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hints (id INTEGER PRIMARY KEY, at REAL NOT NULL, problem TEXT NOT NULL, level INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS solutions_seen (id INTEGER PRIMARY KEY, at REAL NOT NULL, problem TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_problem ON attempts (problem);
"""


def connect_wal(path: Path, schema: str) -> sqlite3.Connection:
    """An append-only record's connection: WAL, so a killed writer loses only its own transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10.0)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(schema)
    return connection


def default_home() -> Path:
    if os.environ.get("NORMKATA_HOME"):
        return Path(os.environ["NORMKATA_HOME"])
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "normkata"
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / "normkata"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "normkata"


@dataclass(frozen=True)
class Progress:
    """One problem's standing for this user."""

    attempts: int
    best_passed: int
    best_total: int
    last_passed: int
    last_total: int
    # The best is taken over full runs; only when every run left the speed row out (`--no-speed`) does it
    # come from those, and says so: 39/39 without the speed row is not better than 40/40 with it.
    best_partial: bool = False
    hints: int = 0
    solution_seen: bool = False

    @property
    def status(self) -> str:
        if self.attempts == 0:
            return "not started"
        return "passing" if self.last_total and self.last_passed == self.last_total else "failing"


def _full_run(report_json: str) -> bool:
    """Did this attempt grade every category of the suite (none left out by `--no-speed`)?"""
    try:
        return not json.loads(report_json).get("left_out")
    except (ValueError, AttributeError):
        return False


class Store:
    def __init__(self, home: Path | None = None) -> None:
        self.home = home or default_home()
        self.path = self.home / "normkata.db"

    def _connect(self) -> sqlite3.Connection:
        return connect_wal(self.path, SCHEMA)

    def record_attempt(self, report: GradeReport, code: str) -> None:
        row = (
            time.time(), report.problem, report.file, code, hashlib.sha256(code.encode("utf-8")).hexdigest(),
            report.seed, report.passed, report.total, report.speed_ratio, json.dumps(report.to_json()),
        )  # fmt: skip
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO attempts (at, problem, file, code, code_sha256, seed, passed, total, speed_ratio, report)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def progress(self) -> dict[str, Progress]:
        with closing(self._connect()) as db:
            attempts = db.execute("SELECT problem, passed, total, report FROM attempts ORDER BY id").fetchall()
            hints = dict(db.execute("SELECT problem, MAX(level) FROM hints GROUP BY problem").fetchall())
            seen = {problem for (problem,) in db.execute("SELECT DISTINCT problem FROM solutions_seen")}
        runs: dict[str, list[tuple[int, int, bool]]] = {}
        for problem, passed, total, report in attempts:
            runs.setdefault(problem, []).append((passed, total, _full_run(report)))
        found: dict[str, Progress] = {}
        for problem in sorted(runs.keys() | hints.keys() | seen):
            tries = runs.get(problem, [])
            full = [(p, t) for p, t, complete in tries if complete]
            ranked = full or [(p, t) for p, t, _ in tries] or [(0, 0)]
            best = max(ranked, key=lambda run: (run[0] / max(run[1], 1), run[1]))
            last = tries[-1][:2] if tries else (0, 0)
            found[problem] = Progress(
                len(tries), *best, *last, best_partial=bool(tries) and not full, hints=int(hints.get(problem, 0)),
                solution_seen=problem in seen,
            )  # fmt: skip
        return found

    def hints_taken(self, problem: str) -> int:
        with closing(self._connect()) as db:
            (level,) = db.execute("SELECT COALESCE(MAX(level), 0) FROM hints WHERE problem = ?", (problem,)).fetchone()
        return int(level)

    def record_hint(self, problem: str, level: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO hints (at, problem, level) VALUES (?, ?, ?)", (time.time(), problem, level))

    def record_solution_seen(self, problem: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO solutions_seen (at, problem) VALUES (?, ?)", (time.time(), problem))

    def solution_seen(self, problem: str) -> bool:
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM solutions_seen WHERE problem = ? LIMIT 1", (problem,)).fetchone() is not None
