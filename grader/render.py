"""Everything the user sees: the rich scorecard, the catalog table and the `--json` document.

Render functions are pure (they build renderables from the model); the CLI owns the Console. Text that
comes from the candidate (exception messages, printed output) only ever goes through `Text`, never markup.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from grader.model import GradeReport, Status

if TYPE_CHECKING:  # rich is imported by the functions that draw, so `--json` never pays for it
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    from grader.catalog import Problem
    from grader.store import Progress

MARKS = {
    Status.PASS: ("✓", "green"),
    Status.FAIL: ("✗", "red"),
    Status.ERROR: ("!", "bold red"),
    Status.SKIP: ("–", "yellow"),
}


def report_json(report: GradeReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False)


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def scorecard(report: GradeReport, command: str = "grade") -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    header = Text.assemble(
        (report.problem, "bold"), f" — {report.title}\n", ("file ", "dim"), report.file, ("   seed ", "dim"), str(report.seed)
    )
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=False)
    table.add_column("Category", style="cyan", no_wrap=True)
    table.add_column("Check", ratio=3)
    table.add_column("", no_wrap=True, justify="center")
    table.add_column("Time", justify="right", no_wrap=True, style="dim")
    table.add_column("Detail", ratio=5)
    previous = None
    for check in report.checks:
        if previous is not None and check.category != previous:
            table.add_section()
        mark, style = MARKS[check.status]
        table.add_row(
            check.category if check.category != previous else "",
            Text(check.name),
            Text(mark, style=style),
            _fmt_time(check.duration_s),
            Text(check.message, style="" if check.status is Status.PASS else style.replace("bold ", "")),
        )
        previous = check.category
    parts: list[RenderableType] = [Panel(header, expand=True), table, _footer(report, command)]
    if report.output.total_bytes:
        size = f"{report.output.total_bytes:,} bytes" + (", first part shown" if report.output.truncated else "")
        parts.append(Panel(Text(report.output.text.rstrip()), title=f"your code printed ({size})", title_align="left", border_style="dim"))
    return Group(*parts)


def _footer(report: GradeReport, command: str) -> Text:
    from rich.text import Text

    style = "bold green" if report.all_passed else "bold red"
    text = Text.assemble((f"Score {report.passed}/{report.total}", style), f"   total time {_fmt_time(report.duration_s)}")
    if report.speed_ratio is not None:
        text.append(f"   speed {report.speed_ratio:.2f}× the reference's time")
    replay = f"{command} {report.problem} --seed {report.seed}"
    if report.all_passed:
        text.append("\nEvery check passes.", style="green")
    else:
        first = next(c for c in report.checks if c.status is not Status.PASS)
        text.append(f"\nStart with the first failing row ({first.category}: {first.name}). ", style="")
        text.append(f"Replay these exact cases with `{replay}`.", style="dim")
    return text


def catalog_table(problems: list[Problem], progress: dict[str, Progress] | None = None) -> Table:
    """The catalog, one section per track and difficulty (problems arrive sorted that way)."""
    from rich.table import Table
    from rich.text import Text

    from grader.catalog import TRACK_NAMES

    progress = progress or {}
    table = Table(title="normkata problems", header_style="bold")
    for column in ("Track", "Difficulty", "Problem", "Title", "Minutes", "Your progress"):
        table.add_column(column, justify="right" if column == "Minutes" else "left")
    group = None
    missing: dict[str, Problem] = {}
    for problem in problems:
        key = (problem.track, problem.difficulty)
        if group is not None and key != group:
            table.add_section()
        track = TRACK_NAMES.get(problem.track, problem.track) if group is None or key[0] != group[0] else ""
        needs = problem.missing
        if needs:
            missing.setdefault(problem.track, problem)
        status = Text(f"needs {', '.join(needs)}", style="magenta") if needs else _progress_text(progress.get(problem.slug))
        table.add_row(
            track, problem.difficulty if key != group else "", problem.slug, problem.title, str(problem.minutes), status,
        )  # fmt: skip
        group = key
    table.caption = "grade <problem> grades problems/<problem>/<problem>.py · grade <problem> --reference grades the reference"
    for problem in missing.values():
        table.caption += f"\nThe {problem.track_name} track needs {', '.join(problem.missing)}: {problem.install_hint}"
    return table


def _progress_text(progress: Progress | None) -> Text:
    from rich.text import Text

    if progress is None or progress.attempts == 0:
        return Text("not started", style="dim")
    style = "green" if progress.status == "passing" else "yellow"
    return Text(f"{progress.status}, best {progress.best_passed}/{progress.best_total} ({progress.attempts} tries)", style=style)


def hints_panel(problem: Problem, taken: int) -> RenderableType:
    from rich.panel import Panel
    from rich.text import Text

    text = Text()
    for level, hint in enumerate(problem.hints[:taken], start=1):
        text.append("\n\n" if level > 1 else "")
        text.append(f"Hint {level} of {len(problem.hints)}: ", style="bold" if level == taken else "dim")
        text.append(hint, style="" if level == taken else "dim")
    if taken >= len(problem.hints):
        text.append(f"\n\nThat was the last hint. `grade solution {problem.slug}` shows the reference.", style="dim")
    return Panel(text, title=f"{problem.slug} — hints", title_align="left")
