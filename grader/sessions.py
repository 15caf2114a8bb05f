"""Interview sessions: a timed workspace for one candidate, and the record an interviewer reports from.

`start_session` prepares a workspace holding only what a candidate may see (specs, pristine stubs, a short
README, a Makefile) and a marker file naming the session; it draws the session's seed, so every grading
and every report faces the same cases. The clock starts later, when the candidate (or the interviewer,
with --workspace) runs `grade session begin`: a workspace can be prepared before the candidate arrives,
and gradings before the start are refused rather than timed from the wrong moment.

The record lives in the interviewer's store (`<NORMKATA_HOME>/sessions/<id>.db`): one SQLite file per
session, WAL, rows appended and never rewritten (the start of the clock is one `INSERT OR IGNORE`, so the
first `begin` wins), each attempt with a copy of the graded code and its hash. A killed `grade` loses only
the attempt it was grading; everything recorded before stays.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import shlex
import shutil
import sqlite3
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import Problem
from grader.model import CheckResult, GradeReport, Status
from grader.store import connect_wal, default_home

MARKER = ".normkata-session.json"
FORMAT = "2"  # meta "format": 2 = prepared, then begun; the seed drawn at start. Absent: the clock started with the session.
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
    minutes: float
    prepared_at: float
    begun_at: float | None  # None: prepared, the candidate has not started
    seed: int
    feedback: str
    workspace: Path
    db: Path
    unsandboxed: bool = False  # started with --allow-unsandboxed: gradings may run without the kernel sandbox

    @property
    def deadline(self) -> float | None:
        return None if self.begun_at is None else self.begun_at + 60 * self.minutes

    def is_late(self, at: float) -> bool:
        return self.deadline is not None and at > self.deadline

    def after_start(self, at: float) -> float:
        """Seconds from the start of the clock (from the preparation while it has not started), to 0.1 s: the one
        figure every format shows, so JSON's 314.5 and Markdown's "5 min 15 s" never disagree by a rounding."""
        return round(at - (self.prepared_at if self.begun_at is None else self.begun_at), 1)

    def stub_of(self, slug: str) -> Path:
        return self.workspace / slug / f"{slug}.py"

    def shown_path(self, path: Path) -> str:
        """`path` as the report names it: relative to the workspace when inside it."""
        try:
            return path.resolve().relative_to(self.workspace).as_posix()
        except ValueError:
            return str(path.resolve())


@dataclass(frozen=True)
class Attempt:
    id: int
    at: float
    problem: str
    kind: str  # "attempt" (the candidate graded) or "final" (the report graded a version of the code)
    late: bool
    passed: int
    total: int
    report: GradeReport
    code: str
    code_sha256: str


@dataclass(frozen=True)
class Hint:
    at: float
    problem: str
    level: int  # the hint's number, 1 = the first


@dataclass
class SessionRecord:
    info: SessionInfo
    attempts: list[Attempt] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)

    def attempts_of(self, problem: str) -> list[Attempt]:
        return [a for a in self.attempts if a.problem == problem and a.kind == "attempt"]

    def hints_of(self, problem: str) -> list[Hint]:
        return [h for h in self.hints if h.problem == problem]

    def hints_taken(self, problem: str) -> int:
        return max((h.level for h in self.hints_of(problem)), default=0)


def sha256(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def duration(seconds: float) -> str:
    """A span with its units (`33 s`, `12 min 05 s`, `45 min`, `1 h 02 min`): never a bare `0:33`."""
    whole = int(abs(seconds) + 0.5)  # half up, as people round
    sign = "-" if seconds < 0 and whole else ""
    if whole < 60:
        return f"{sign}{whole} s"
    if whole < 3600:
        return f"{sign}{whole // 60} min" + (f" {whole % 60:02d} s" if whole % 60 else "")
    return f"{sign}{whole // 3600} h {whole % 3600 // 60:02d} min"


def _connect(db: Path) -> sqlite3.Connection:
    return connect_wal(db, SCHEMA)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "candidate"


def start_session(
    problems: list[Problem], candidate: str, minutes: float, directory: Path | None, feedback: str, seed: int,
    home: Path | None = None, unsandboxed: bool = False,
) -> SessionInfo:
    """Prepare the workspace and the record; the clock does not start here (see begin_session)."""
    if not problems:
        raise SessionError("name at least one problem: --problems layernorm,batchnorm")
    session_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    workspace = (directory or Path(f"normkata-session-{_slug(candidate)}")).resolve()
    if workspace.exists() and any(workspace.iterdir()):
        raise SessionError(f"{workspace} exists and is not empty; choose another --dir")
    db = (home or default_home()) / "sessions" / f"{session_id}.db"
    info = SessionInfo(
        session_id, candidate, tuple(p.slug for p in problems), minutes, time.time(), None, seed, feedback, workspace, db, unsandboxed
    )
    _write_workspace(info, problems)
    with closing(_connect(db)) as connection, connection:
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("format", FORMAT), ("id", info.id), ("candidate", candidate), ("problems", json.dumps(info.problems)),
            ("minutes", repr(minutes)), ("prepared_at", repr(info.prepared_at)), ("seed", str(seed)), ("feedback", feedback),
            ("workspace", str(workspace)), ("unsandboxed", "1" if unsandboxed else "0"),
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
    first = problems[0].slug
    (info.workspace / "README.md").write_text(
        f"# normkata session for {info.candidate}\n\n"
        f"You have **{duration(60 * info.minutes)}**. Your problems:\n\n{listing}\n\n"
        "Each folder holds the problem's spec (`README.md`) and the file to fill in. **Your time starts when you run "
        "`grade session begin`** in this folder; grading works from then on. From this folder, run\n\n"
        f"```\ngrade session begin    start your {duration(60 * info.minutes)}\n"
        f"grade <problem>        e.g. grade {first} (or: make grade P={first}, grade watch {first})\n"
        "grade session status   time left and your latest scores\n"
        "grade hint <problem>   a hint (hints are noted in the report)\n```\n\n"
        f"Every grading is recorded with a copy of your code. You will see {shown}. Attempts after the time limit are "
        "still recorded, marked late. Your final code is what is in these files when the interviewer writes the report.\n",
        encoding="utf-8",
    )
    (info.workspace / "Makefile").write_text(
        "# `make grade P=<problem>` grades like `grade <problem>`: a recorded attempt of this session.\n"
        "# A failing score is the grading's answer, not a failed make (exit 1 passes; 2 and signals do not).\n"
        f"P ?= {first}\nARGS ?=\n\n.PHONY: grade\ngrade:\n\t@{shlex.quote(sys.executable)} -m grader $(P) $(ARGS) || test $$? -eq 1\n",
        encoding="utf-8",
    )
    (info.workspace / MARKER).write_text(json.dumps({"id": info.id, "db": str(info.db)}, indent=2) + "\n", encoding="utf-8")


def begin_session(info: SessionInfo, at: float | None = None) -> tuple[SessionInfo, bool]:
    """Start the clock (the first call wins); return the session as recorded and whether this call started it."""
    if info.begun_at is not None:
        return info, False
    with closing(_connect(info.db)) as connection, connection:
        cursor = connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('begun_at', ?)", (repr(time.time() if at is None else at),))
    return load_session(info.workspace / MARKER), cursor.rowcount == 1


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


def session_for(file: Path | None) -> SessionInfo | None:
    """The session a grading belongs to: the workspace holding the graded file, else the one we are in.

    Every route (`grade P`, `--file` with any path, `grade watch`, `make grade`) asks this one question, so
    none of them grades a session's problem outside the record or with the interviewer's full feedback."""
    if file is not None:
        found = find_session(file.resolve().parent)
        if found is not None:
            return found
    return find_session()


def load_session(marker: Path) -> SessionInfo:
    try:
        pointer = json.loads(marker.read_text(encoding="utf-8"))
        db = Path(pointer["db"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SessionError(f"{marker} is damaged ({exc})") from None
    if not db.is_file():
        raise SessionError(f"the session's record {db} is missing (was it started on another machine or NORMKATA_HOME?)")
    with closing(_connect(db)) as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if "format" not in meta:  # recorded before sessions were prepared ahead: the clock started with the session
        meta["prepared_at"] = meta["begun_at"] = meta["started_at"]
        meta["seed"] = str(int(sha256(meta["id"]), 16) % 100_000)
    return SessionInfo(
        meta["id"], meta["candidate"], tuple(json.loads(meta["problems"])), float(meta["minutes"]), float(meta["prepared_at"]),
        float(meta["begun_at"]) if "begun_at" in meta else None, int(meta["seed"]), meta["feedback"], marker.parent.resolve(), db,
        meta.get("unsandboxed") == "1",
    )  # fmt: skip


def check_grading(info: SessionInfo, slug: str, reference: bool = False, seed: int | None = None) -> None:
    """Refuse, with what to do instead, a grading the session cannot record as the candidate's attempt."""
    if reference:
        raise SessionError("the reference cannot be graded inside an interview session.")
    if slug not in info.problems:
        raise SessionError(f"{slug} is not part of this session; its problems are: {', '.join(info.problems)}")
    if seed is not None and seed != info.seed:
        raise SessionError(f"every grading of this session uses its seed, {info.seed}: leave --seed out")
    if info.begun_at is None:
        raise SessionError(
            f"the session has not begun: run `grade session begin` to start your {duration(60 * info.minutes)}; "
            "grading and hints work from then on"
        )


def record_attempt(
    info: SessionInfo, report: GradeReport, code: str, path: Path | None = None, kind: str = "attempt", at: float | None = None
) -> Attempt:
    """Append one grading of `code` (read from `path`, which the record names relative to the workspace).

    The attempt returned holds the report as stored (rounded figures), so whoever reads it now or later
    reads the same."""
    at = time.time() if at is None else at
    digest = sha256(code)
    if path is not None:
        report = dataclasses.replace(report, file=info.shown_path(path))
    late = info.is_late(at)
    stored = json.dumps(report.to_json())
    report = GradeReport.from_json(json.loads(stored), report.title)
    row = (at, report.problem, kind, int(late), report.seed, report.passed, report.total, stored, code, digest)
    with closing(_connect(info.db)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO attempts (at, problem, kind, late, seed, passed, total, report, code, code_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return Attempt(cursor.lastrowid, at, report.problem, kind, late, report.passed, report.total, report, code, digest)


def record_hint(info: SessionInfo, problem: str, level: int, at: float | None = None) -> None:
    with closing(_connect(info.db)) as connection, connection:
        connection.execute("INSERT INTO hints (at, problem, level) VALUES (?, ?, ?)", (time.time() if at is None else at, problem, level))


def read_record(info: SessionInfo) -> SessionRecord:
    with closing(_connect(info.db)) as connection:
        rows = connection.execute(
            "SELECT id, at, problem, kind, late, passed, total, report, code, code_sha256 FROM attempts ORDER BY id"
        ).fetchall()
        hints = connection.execute("SELECT at, problem, level FROM hints ORDER BY id").fetchall()
    attempts = [
        Attempt(i, at, problem, kind, bool(late), passed, total, GradeReport.from_json(json.loads(report)), code, digest)
        for i, at, problem, kind, late, passed, total, report, code, digest in rows
    ]
    return SessionRecord(info, attempts, [Hint(at, problem, level) for at, problem, level in hints])


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
