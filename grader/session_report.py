"""The interviewer's report of a session, as data: what the record says about each problem, and its JSON.

Two versions of each problem's code are graded for the report, with the full suite (every row, the speed
row included) and the session's seed: the file as it is now (the final code) and the code of the last
attempt made before the deadline (the score at the deadline), so the two scores are comparable whatever
options the candidate graded with. Each such grading is recorded (kind "final") and found again by the
code's sha256: a second report, in any format, reads the same rows instead of measuring again (the speed
row's figures differ from run to run); only the time of the report differs.

"Late" is about when the work was done: an attempt is late when it was made after the deadline, and the
final code is late only when the deadline has passed and the code is none of the on-time attempts' (nor
the untouched stub).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.catalog import Catalog, Problem
from grader.model import CATEGORIES, NOT_RUN, CheckResult, GradeReport, Status
from grader.sessions import Attempt, Hint, SessionInfo, SessionRecord, duration, read_record, record_attempt, sha256

JSON_SCHEMA_VERSION = 2
ATTEMPTED, NOT_ATTEMPTED, MISSING = "attempted", "not attempted", "file missing"

GradeCode = Callable[[Problem, str], GradeReport]  # grades a version of the code: the full suite, the session's seed


@dataclass(frozen=True)
class Grading:
    """The full suite's verdict on one version of a problem's code."""

    report: GradeReport
    code: str
    code_sha256: str


@dataclass
class ProblemResult:
    slug: str
    title: str
    stub: str  # the pristine stub: what the first attempt's diff starts from
    status: str  # ATTEMPTED, NOT_ATTEMPTED or MISSING
    attempts: list[Attempt]
    hints: list[Hint]
    final: Grading | None  # the workspace file as it is now; None when not attempted or missing
    final_late: bool
    saved_at: float | None  # when the workspace file was last written
    at_deadline: Attempt | None  # the last attempt made before the deadline (before the report, if it has not passed)
    at_deadline_grading: Grading | None

    def diffs(self) -> list[str]:
        """Each attempt's code as a unified diff against the previous attempt (the first against the stub)."""
        previous, label, out = self.stub, "original stub", []
        for number, attempt in enumerate(self.attempts, 1):
            out.append(code_diff(previous, attempt.code, label, f"attempt {number}"))
            previous, label = attempt.code, f"attempt {number}"
        return out

    def late_changes(self) -> str:
        """What changed in the final code since the score at the deadline ("" when nothing did)."""
        if self.final is None or self.at_deadline is None:
            return ""
        return code_diff(self.at_deadline.code, self.final.code, f"attempt {self.attempts.index(self.at_deadline) + 1}", "final code")

    def first_to_last_s(self) -> float | None:
        return round(self.attempts[-1].at - self.attempts[0].at, 1) if self.attempts else None


@dataclass
class SessionReport:
    record: SessionRecord
    problems: list[ProblemResult]
    generated_at: float

    @property
    def info(self) -> SessionInfo:
        return self.record.info

    @property
    def deadline_passed(self) -> bool:
        return self.info.is_late(self.generated_at)

    @property
    def deadline_label(self) -> str:
        """What the score of the last on-time attempt is called: it is only "at the deadline" once that has passed."""
        return "At the deadline" if self.deadline_passed else "So far"


def code_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), before_name, after_name, n=2, lineterm="")
    return "\n".join(lines)


def category_scores(report: GradeReport) -> dict[str, tuple[int, int]]:
    """(passed, total) per category, in scorecard order."""
    scores: dict[str, tuple[int, int]] = {}
    for check in report.checks:
        passed, total = scores.get(check.category, (0, 0))
        scores[check.category] = (passed + (check.status is Status.PASS), total + 1)
    return {c: scores[c] for c in CATEGORIES if c in scores}


def build_report(info: SessionInfo, catalog: Catalog, grade_code: GradeCode, now: float | None = None) -> SessionReport:
    """Gather the record, grading (or finding the earlier grading of) each version of the code the report scores."""
    now = time.time() if now is None else now
    record = read_record(info)
    graded: dict[tuple[str, str], Attempt] = {}
    for attempt in reversed(record.attempts):  # the earliest grading of a version wins
        if attempt.kind == "final" and attempt.report.seed == info.seed:
            graded[attempt.problem, attempt.code_sha256] = attempt

    def grading(problem: Problem, code: str) -> Grading:
        key = (problem.slug, sha256(code))
        if key not in graded:
            graded[key] = record_attempt(info, grade_code(problem, code), code, info.stub_of(problem.slug), kind="final", at=now)
        found = graded[key]
        return Grading(found.report, found.code, found.code_sha256)

    problems = [_problem_result(record, catalog.get(slug), grading, now) for slug in info.problems]
    return SessionReport(record, problems, now)


def _problem_result(record: SessionRecord, problem: Problem, grading: Callable[[Problem, str], Grading], now: float) -> ProblemResult:
    info, slug = record.info, problem.slug
    stub = problem.pristine_stub.read_text(encoding="utf-8")
    attempts = record.attempts_of(slug)
    path = info.stub_of(slug)
    try:
        code, saved_at = path.read_text(encoding="utf-8", errors="replace"), path.stat().st_mtime
    except OSError:
        code, saved_at = None, None
    status = MISSING if code is None else NOT_ATTEMPTED if not attempts and code == stub else ATTEMPTED
    final = grading(problem, code) if status == ATTEMPTED else None
    on_time = [a for a in attempts if not a.late]
    at_deadline = on_time[-1] if on_time else None
    done_in_time = {a.code_sha256 for a in on_time} | {sha256(stub)}
    return ProblemResult(
        slug, problem.title, stub, status, attempts, record.hints_of(slug), final,
        final is not None and info.is_late(now) and final.code_sha256 not in done_in_time, saved_at, at_deadline,
        grading(problem, at_deadline.code) if at_deadline is not None else None,
    )  # fmt: skip


def _after(info: SessionInfo, at: float | None) -> float | None:
    return None if at is None else info.after_start(at)


def _score(report: GradeReport) -> dict[str, Any]:
    return {
        "passed": report.passed, "total": report.total,
        "categories": {c: {"passed": a, "total": b} for c, (a, b) in category_scores(report).items()},
    }  # fmt: skip


def to_json(report: SessionReport) -> dict[str, Any]:
    info = report.info
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "session": info.id,
        "candidate": info.candidate,
        "seed": info.seed,
        "feedback": info.feedback,
        "sandbox": "not required (--allow-unsandboxed)" if info.unsandboxed else "kernel sandbox required",
        "minutes": info.minutes,
        "prepared_at": info.prepared_at,
        "begun_at": info.begun_at,
        "deadline_at": info.deadline,
        "deadline_passed": report.deadline_passed,
        "report_after_s": _after(info, report.generated_at),
        "problems": [_problem_json(info, p) for p in report.problems],
    }


def _problem_json(info: SessionInfo, p: ProblemResult) -> dict[str, Any]:
    at_deadline = None
    if p.at_deadline is not None and p.at_deadline_grading is not None:
        at_deadline = {
            "attempt": p.attempts.index(p.at_deadline) + 1, "after_s": _after(info, p.at_deadline.at),
            **_score(p.at_deadline_grading.report), "code_sha256": p.at_deadline.code_sha256,
        }  # fmt: skip
    final = None
    if p.final is not None:
        final = {
            **_score(p.final.report), "late": p.final_late, "saved_after_s": _after(info, p.saved_at),
            "speed_ratio": p.final.report.speed_ratio, "code": p.final.code, "code_sha256": p.final.code_sha256,
            "checks": [c.to_json() for c in p.final.report.checks], "changes_after_deadline": p.late_changes(),
        }  # fmt: skip
    last = p.attempts[-1].at if p.attempts else None
    return {
        "problem": p.slug,
        "title": p.title,
        "status": p.status,
        "time_spent": None if last is None else {"first_to_last_s": p.first_to_last_s(), "start_to_last_s": _after(info, last)},
        "timeline": [
            {
                "attempt": n, "after_s": _after(info, a.at), "passed": a.passed, "total": a.total, "late": a.late,
                "categories": _score(a.report)["categories"], "file": a.report.file, "code": a.code, "code_sha256": a.code_sha256,
                "diff": diff,
            }
            for n, (a, diff) in enumerate(zip(p.attempts, p.diffs()), 1)
        ],  # fmt: skip
        "hints": [{"hint": h.level, "after_s": _after(info, h.at), "late": info.is_late(h.at)} for h in p.hints],
        "at_deadline": at_deadline,
        "final": final,
    }


FORMATS = ("md", "json", "html")


def export(report: SessionReport, fmt: str) -> str:
    """The report as text in one of FORMATS."""
    if fmt == "json":
        import json

        return json.dumps(to_json(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "md":
        from grader.session_markdown import to_markdown

        return to_markdown(report)
    from grader.session_html import to_html

    return to_html(report)


# The report's phrases, shared by the Markdown and HTML pages so both say the same thing the same way.


def unfinished_rows(report: GradeReport) -> tuple[list[CheckResult], dict[str, int]]:
    """The failing rows, and the rows that did not run as {reason: count}: one line each, not forty."""
    failing = [c for c in report.checks if c.status in (Status.FAIL, Status.ERROR)]
    not_run: dict[str, int] = {}
    for check in report.checks:
        if check.status is Status.SKIP:
            reason = check.message.removeprefix(f"{NOT_RUN}: ") or "skipped"
            not_run[reason] = not_run.get(reason, 0) + 1
    return failing, not_run


def wall_clock(at: float | None, with_date: bool = True) -> str:
    return "—" if at is None else time.strftime(("%Y-%m-%d " if with_date else "") + "%H:%M %Z", time.localtime(at))


def header_lines(report: SessionReport) -> list[str]:
    info = report.info
    sandbox = "gradings allowed without the kernel sandbox (--allow-unsandboxed)" if info.unsandboxed else "kernel sandbox required"
    lines = [
        f"Session {info.id} · seed {info.seed} (every grading and report) · candidate feedback: {info.feedback} · {sandbox}",
        f"Prepared {wall_clock(info.prepared_at)} · time limit {duration(60 * info.minutes)}",
    ]
    if info.begun_at is None:
        lines.append(f"The candidate has not begun (report written {wall_clock(report.generated_at)})")
    else:
        passed = "the deadline has passed" if report.deadline_passed else "before the deadline"
        lines.append(f"Began {wall_clock(info.begun_at)} · deadline {wall_clock(info.deadline, with_date=False)}")
        after = duration(info.after_start(report.generated_at))
        lines.append(f"Report written {wall_clock(report.generated_at)}, {after} after the start ({passed})")
    return lines


def score(report: GradeReport) -> str:
    return f"{report.passed}/{report.total}"


def at_deadline_phrase(p: ProblemResult, info: SessionInfo) -> str:
    if p.at_deadline is None or p.at_deadline_grading is None:
        return "no attempt before the deadline"
    number = p.attempts.index(p.at_deadline) + 1
    return f"{score(p.at_deadline_grading.report)} (attempt {number}, at {duration(info.after_start(p.at_deadline.at))})"


def final_phrase(p: ProblemResult) -> str:
    if p.status != ATTEMPTED or p.final is None:
        return p.status
    return score(p.final.report) + (", late" if p.final_late else "")


def final_detail(p: ProblemResult, info: SessionInfo) -> str:
    """Why the final score is on time or late, and when the file was last saved."""
    saved = f"file last saved at {duration(info.after_start(p.saved_at))}" if p.saved_at is not None else ""
    if p.final is None:
        return saved
    if p.final_late:
        why = "changed after the deadline: no attempt made before it has this code"
    elif p.at_deadline is not None and p.at_deadline.code_sha256 == p.final.code_sha256:
        why = f"the same code as attempt {p.attempts.index(p.at_deadline) + 1}"
    else:
        why = "on time"
    return f"{why}; {saved}" if saved else why


def spent_phrase(p: ProblemResult, info: SessionInfo) -> str:
    if not p.attempts:
        return "—"
    return f"{duration(p.first_to_last_s())} from the first attempt to the last, {duration(info.after_start(p.attempts[-1].at))} from the start"


def spent_short(p: ProblemResult, info: SessionInfo) -> str:
    """The overview's time spent: first to last attempt, and (in brackets) from the start to the last."""
    if not p.attempts:
        return "—"
    return f"{duration(p.first_to_last_s())} ({duration(info.after_start(p.attempts[-1].at))} from the start)"


def hint_phrase(h: Hint, info: SessionInfo) -> str:
    return f"hint {h.level} at {duration(info.after_start(h.at))}" + (" (late)" if info.is_late(h.at) else "")


def not_attempted_line(p: ProblemResult, info: SessionInfo) -> str:
    hints = f"; {', '.join(hint_phrase(h, info) for h in p.hints)}" if p.hints else ""
    return f"Not attempted: never graded, and the file is still the original stub{hints}."


def shown_categories(p: ProblemResult) -> list[str]:
    """The categories any of the problem's gradings has, in scorecard order."""
    reports = [a.report for a in p.attempts] + ([p.final.report] if p.final else [])
    present = {c.category for r in reports for c in r.checks}
    return [c for c in CATEGORIES if c in present]
