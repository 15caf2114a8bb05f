"""The interviewer's report of a session: final scores, the timeline, hints, time used, the final code.

The final code of each problem is the workspace file as it is now; it is graded with the full hidden
suite (every row, speed included) and recorded as the problem's "final" attempt. The same report renders
as Markdown, JSON, or — through rich's own console export — HTML and SVG.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from grader.catalog import Catalog
from grader.model import CATEGORIES, GradeReport
from grader.sessions import Attempt, SessionInfo, SessionRecord, read_record, record_attempt

FORMATS = ("md", "json", "html", "svg")


@dataclass
class ProblemResult:
    slug: str
    title: str
    final: Attempt | None  # None: the workspace file is gone
    attempts: list[Attempt]
    hints: int


@dataclass
class SessionReport:
    record: SessionRecord
    problems: list[ProblemResult]
    generated_at: float

    @property
    def info(self) -> SessionInfo:
        return self.record.info

    @property
    def last_attempt_at(self) -> float | None:
        times = [a.at for a in self.record.attempts if a.kind == "attempt"]
        return max(times) if times else None


def build_report(info: SessionInfo, catalog: Catalog, grade_file) -> SessionReport:
    """Grade each problem's final file with `grade_file(problem, path) -> GradeReport` and gather the record."""
    for slug in info.problems:
        path = info.stub_of(slug)
        if path.is_file():
            report = grade_file(catalog.get(slug), path)
            record_attempt(info, report, path.read_text(encoding="utf-8", errors="replace"), kind="final")
    record = read_record(info)
    problems = []
    for slug in info.problems:
        problem = catalog.get(slug)
        finals = [a for a in record.attempts if a.problem == slug and a.kind == "final"]
        attempts = [a for a in record.attempts if a.problem == slug and a.kind == "attempt"]
        problems.append(ProblemResult(slug, problem.title if problem else slug, finals[-1] if finals else None, attempts, record.hints.get(slug, 0)))
    return SessionReport(record, problems, time.time())


def clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def category_scores(report: GradeReport) -> dict[str, tuple[int, int]]:
    scores: dict[str, tuple[int, int]] = {}
    for check in report.checks:
        passed, total = scores.get(check.category, (0, 0))
        scores[check.category] = (passed + (check.status.value == "pass"), total + 1)
    return {c: scores[c] for c in CATEGORIES if c in scores}


def to_json(report: SessionReport) -> dict:
    info = report.info
    return {
        "schema_version": 1,
        "session": info.id,
        "candidate": info.candidate,
        "started_at": info.started_at,
        "minutes": info.minutes,
        "last_attempt_after_s": None if report.last_attempt_at is None else round(report.last_attempt_at - info.started_at, 1),
        "report_after_s": round(report.generated_at - info.started_at, 1),
        "feedback": info.feedback,
        "problems": [
            {
                "problem": p.slug,
                "title": p.title,
                "final": None if p.final is None else {
                    "passed": p.final.passed, "total": p.final.total, "late": p.final.late,
                    "categories": {c: {"passed": a, "total": b} for c, (a, b) in category_scores(p.final.report).items()},
                    "speed_ratio": p.final.report.speed_ratio, "code": p.final.code, "code_sha256": p.final.code_sha256,
                    "checks": [c.to_json() for c in p.final.report.checks],
                },
                "hints_taken": p.hints,
                "timeline": [
                    {"after_s": round(a.at - info.started_at, 1), "passed": a.passed, "total": a.total, "late": a.late, "code_sha256": a.code_sha256}
                    for a in p.attempts
                ],
            }
            for p in report.problems
        ],
    }  # fmt: skip


def to_markdown(report: SessionReport) -> str:
    info = report.info
    lines = [f"# normkata session report: {info.candidate}", "", *_summary_lines(report), ""]
    for p in report.problems:
        lines += [f"## {p.slug} — {p.title}", ""]
        if p.final is None:
            lines += ["No final file: the workspace file is missing.", ""]
            continue
        late = " (late)" if p.final.late else ""
        lines += [f"**Final score: {p.final.passed}/{p.final.total}**{late} · hints taken: {p.hints}", ""]
        lines += ["| category | passed |", "|---|---|"]
        lines += [f"| {c} | {a}/{b} |" for c, (a, b) in category_scores(p.final.report).items()]
        lines += ["", "Timeline:", ""]
        lines += [f"- {clock(a.at - info.started_at)} — {a.passed}/{a.total}{' (late)' if a.late else ''}" for a in p.attempts] or ["- no attempts"]
        failing = [c for c in p.final.report.checks if c.status.value != "pass"]
        if failing:
            lines += ["", "Failing checks:", ""] + [f"- {c.category}: {c.name} — {c.message}" for c in failing[:20]]
        lines += ["", "Final code:", "", "```python", p.final.code.rstrip(), "```", ""]
    return "\n".join(lines) + "\n"


def _summary_lines(report: SessionReport) -> list[str]:
    info = report.info
    used = "no attempts" if report.last_attempt_at is None else f"last attempt at {clock(report.last_attempt_at - info.started_at)}"
    return [
        f"- Session {info.id}, started {time.strftime('%Y-%m-%d %H:%M', time.localtime(info.started_at))}",
        f"- Time limit {info.minutes} min; {used}; report at {clock(report.generated_at - info.started_at)}",
        f"- Problems: {', '.join(info.problems)} · candidate feedback: {info.feedback}",
    ]


def renderable(report: SessionReport):
    """The report as rich renderables: the terminal view and the source of the HTML/SVG exports."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.text import Text

    info = report.info
    parts = [Panel(Text("\n".join(_summary_lines(report))), title=f"normkata session report: {info.candidate}", title_align="left")]
    scores = Table(title="Final scores", header_style="bold")
    for column in ("Problem", "Score", *CATEGORIES, "Speed", "Hints", "Attempts"):
        scores.add_column(column, justify="left" if column == "Problem" else "right")
    for p in report.problems:
        if p.final is None:
            scores.add_row(p.slug, Text("no file", style="red"), *[""] * len(CATEGORIES), "", str(p.hints), str(len(p.attempts)))
            continue
        per = category_scores(p.final.report)
        style = "green" if p.final.passed == p.final.total else "yellow" if p.final.passed else "red"
        speed = p.final.report.speed_ratio
        scores.add_row(
            p.slug, Text(f"{p.final.passed}/{p.final.total}" + (" late" if p.final.late else ""), style=style),
            *[f"{per[c][0]}/{per[c][1]}" if c in per else "—" for c in CATEGORIES],
            "—" if speed is None else f"{speed:.2f}×", str(p.hints), str(len(p.attempts)),
        )  # fmt: skip
    parts.append(scores)
    timeline = Table(title="Timeline of attempts", header_style="bold")
    for column in ("Time", "Problem", "Score", ""):
        timeline.add_column(column)
    for a in sorted((a for p in report.problems for a in p.attempts), key=lambda a: a.at):
        timeline.add_row(clock(a.at - info.started_at), a.problem, f"{a.passed}/{a.total}", Text("late", style="red") if a.late else "")
    parts.append(timeline)
    for p in report.problems:
        if p.final is not None:
            failing = [c for c in p.final.report.checks if c.status.value != "pass"]
            if failing:
                parts.append(Panel(Text("\n".join(f"{c.category}: {c.name} — {c.message}" for c in failing[:20])), title=f"{p.slug}: failing checks", title_align="left"))
            parts.append(Panel(Syntax(p.final.code, "python", line_numbers=True), title=f"{p.slug}: final code (sha256 {p.final.code_sha256[:12]})", title_align="left"))
    return Group(*parts)


def export(report: SessionReport, fmt: str) -> str:
    """The report as text in one of FORMATS; HTML and SVG are rich's own exports of the terminal view."""
    import json

    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n"
    if fmt == "md":
        return to_markdown(report)
    from rich.console import Console

    console = Console(record=True, width=110, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(renderable(report))
    if fmt == "html":
        return console.export_html(inline_styles=True)
    return console.export_svg(title=f"normkata session: {report.info.candidate}")
