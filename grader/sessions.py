"""Interview sessions: a timed workspace for one candidate, and the record an interviewer reports from.

`start_session` writes a workspace holding only what a candidate may see (specs, pristine stubs, a short
README) and a marker file naming the session. The record itself lives in the interviewer's store
(`<NORMKATA_HOME>/sessions/<id>.db`): one SQLite file per session, WAL, rows appended and never rewritten,
each attempt with a copy of the graded file and its hash. A killed `grade` loses only the attempt it was
grading; everything recorded before stays.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import Catalog, Problem
from grader.model import CheckResult, GradeReport, Status
from grader.store import connect_wal, default_home

MARKER = ".normkata-session.json"
# Judge sites' "run" versus "submit": in summary mode these categories show as one count each.
SUMMARIZED_CATEGORIES = ("hidden", "gradcheck")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, problem TEXT NOT NULL, kind TEXT NOT NULL, late INTEGER NOT NULL,
    seed INTEGER NOT NULL, passed INTEGER NOT NULL, total INTEGER NOT NULL, report TEXT NOT NULL,
    code TEXT NOT NULL, code_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hints (id INTEGER PRIMARY KEY, at REAL NOT NULL, problem TEXT NOT NULL, level INTEGER NOT NULL);
"""


class SessionError(Exception):
    """A session command cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class SessionInfo:
    id: str
    candidate: str
    problems: tuple[str, ...]
    minutes: int
    started_at: float
    feedback: str
    workspace: Path
    db: Path
    unsandboxed: bool = False  # started with --allow-unsandboxed: gradings may run without the kernel sandbox

    @property
    def deadline(self) -> float:
        return self.started_at + 60 * self.minutes

    def is_late(self, at: float) -> bool:
        return at > self.deadline

    def stub_of(self, slug: str) -> Path:
        return self.workspace / slug / f"{slug}.py"


@dataclass(frozen=True)
class Attempt:
    id: int
    at: float
    problem: str
    kind: str  # "attempt" (the candidate ran grade) or "final" (graded for the report)
    late: bool
    passed: int
    total: int
    report: GradeReport
    code: str
    code_sha256: str


@dataclass
class SessionRecord:
    info: SessionInfo
    attempts: list[Attempt] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)

    def latest(self, problem: str) -> Attempt | None:
        found = [a for a in self.attempts if a.problem == problem]
        return found[-1] if found else None


def _connect(db: Path) -> sqlite3.Connection:
    return connect_wal(db, SCHEMA)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "candidate"


def start_session(
    catalog: Catalog, candidate: str, slugs: list[str], minutes: int, directory: Path | None, feedback: str, home: Path | None = None,
    unsandboxed: bool = False,
) -> SessionInfo:
    problems = []
    for slug in slugs:
        problem = catalog.get(slug)
        if problem is None:
            raise SessionError(f"no problem named {slug!r} (`grade list` shows them)")
        if problem.missing:
            raise SessionError(f"{slug} needs {', '.join(problem.missing)} on this machine: {problem.install_hint}")
        problems.append(problem)
    if not problems:
        raise SessionError("name at least one problem: --problems layernorm,batchnorm")
    session_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    workspace = (directory or Path(f"normkata-session-{_slug(candidate)}")).resolve()
    if workspace.exists() and any(workspace.iterdir()):
        raise SessionError(f"{workspace} exists and is not empty; choose another --dir")
    db = (home or default_home()) / "sessions" / f"{session_id}.db"
    info = SessionInfo(session_id, candidate, tuple(p.slug for p in problems), minutes, time.time(), feedback, workspace, db, unsandboxed)
    _write_workspace(info, problems)
    with closing(_connect(db)) as connection, connection:
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("id", info.id), ("candidate", candidate), ("problems", json.dumps(info.problems)), ("minutes", str(minutes)),
            ("started_at", repr(info.started_at)), ("feedback", feedback), ("workspace", str(workspace)),
            ("unsandboxed", "1" if unsandboxed else "0"),
        ])  # fmt: skip
    return info


def _write_workspace(info: SessionInfo, problems: list[Problem]) -> None:
    """Specs and pristine stubs only: no hidden suites, no solutions, nothing of the interviewer's own work."""
    info.workspace.mkdir(parents=True, exist_ok=True)
    for problem in problems:
        folder = info.workspace / problem.slug
        folder.mkdir()
        shutil.copyfile(problem.spec, folder / "README.md")
        shutil.copyfile(problem.pristine_stub, folder / f"{problem.slug}.py")
    listing = "\n".join(f"- `{p.slug}/` — {p.title} (about {p.minutes} min)" for p in problems)
    shown = "every check in full" if info.feedback == "full" else (
        "the spec's examples, the contract checks and the speed row in full; the hidden and gradient checks only as a "
        "count of how many pass (the interviewer's report runs and shows them all)"
    )  # fmt: skip
    (info.workspace / "README.md").write_text(
        f"# normkata session for {info.candidate}\n\n"
        f"You have **{info.minutes} minutes**. Your problems:\n\n{listing}\n\n"
        "Each folder holds the problem's spec (`README.md`) and the file to fill in. From this folder, run\n\n"
        "```\ngrade <problem>        e.g. grade " + problems[0].slug + "\ngrade session status   time left and your latest scores\n"
        "grade hint <problem>   a hint (hints are noted in the report)\n```\n\n"
        f"Every `grade` run is recorded. You will see {shown}. Attempts after the time limit are still recorded, "
        "marked late. Your final code is what is in these files when the interviewer closes the session.\n",
        encoding="utf-8",
    )
    (info.workspace / MARKER).write_text(json.dumps({"id": info.id, "db": str(info.db)}, indent=2) + "\n", encoding="utf-8")


def find_session(start: Path | None = None, workspace: Path | None = None) -> SessionInfo | None:
    """The session of `workspace`, or of the workspace containing `start` (default: the current folder)."""
    if workspace is not None:
        marker = workspace / MARKER
        if not marker.is_file():
            raise SessionError(f"{workspace} is not a session workspace (no {MARKER})")
        return load_session(marker)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return load_session(folder / MARKER)
    return None


def load_session(marker: Path) -> SessionInfo:
    try:
        pointer = json.loads(marker.read_text(encoding="utf-8"))
        db = Path(pointer["db"])
    except (OSError, ValueError, KeyError) as exc:
        raise SessionError(f"{marker} is damaged ({exc})") from None
    if not db.is_file():
        raise SessionError(f"the session's record {db} is missing (was it started on another machine or NORMKATA_HOME?)")
    with closing(_connect(db)) as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    return SessionInfo(
        meta["id"], meta["candidate"], tuple(json.loads(meta["problems"])), int(meta["minutes"]), float(meta["started_at"]),
        meta["feedback"], marker.parent.resolve(), db, meta.get("unsandboxed") == "1",
    )  # fmt: skip


def record_attempt(info: SessionInfo, report: GradeReport, code: str, kind: str = "attempt", at: float | None = None) -> Attempt:
    at = time.time() if at is None else at
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    row = (at, report.problem, kind, int(info.is_late(at)), report.seed, report.passed, report.total, json.dumps(report.to_json()), code, digest)
    with closing(_connect(info.db)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO attempts (at, problem, kind, late, seed, passed, total, report, code, code_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return Attempt(cursor.lastrowid, at, report.problem, kind, info.is_late(at), report.passed, report.total, report, code, digest)


def record_hint(info: SessionInfo, problem: str, level: int) -> None:
    with closing(_connect(info.db)) as connection, connection:
        connection.execute("INSERT INTO hints (at, problem, level) VALUES (?, ?, ?)", (time.time(), problem, level))


def read_record(info: SessionInfo) -> SessionRecord:
    with closing(_connect(info.db)) as connection:
        rows = connection.execute(
            "SELECT id, at, problem, kind, late, passed, total, report, code, code_sha256 FROM attempts ORDER BY id"
        ).fetchall()
        hints = connection.execute("SELECT problem, MAX(level) FROM hints GROUP BY problem").fetchall()
    attempts = [
        Attempt(i, at, problem, kind, bool(late), passed, total, GradeReport.from_json(json.loads(report)), code, digest)
        for i, at, problem, kind, late, passed, total, report, code, digest in rows
    ]
    return SessionRecord(info, attempts, {problem: int(level) for problem, level in hints})


def summarize(report: GradeReport) -> GradeReport:
    """The candidate's view in summary mode: hidden and gradcheck rows folded into one count per category."""
    kept = [c for c in report.checks if c.category not in SUMMARIZED_CATEGORIES]
    for category in SUMMARIZED_CATEGORIES:
        rows = [c for c in report.checks if c.category == category]
        if not rows:
            continue
        passed = sum(c.status is Status.PASS for c in rows)
        status = Status.PASS if passed == len(rows) else Status.FAIL
        message = "" if status is Status.PASS else "details are held back during the session"
        kept.append(CheckResult(f"{passed} of {len(rows)} {category} checks pass", category, status, sum(c.duration_s for c in rows), message))
    return dataclasses.replace(report, checks=kept, counted=(report.passed, report.total))
