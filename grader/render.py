"""Everything the user sees: the rich scorecard, the catalog table and the `--json` document.

Render functions are pure (they build renderables from the model); the CLI owns the Console. Text that
comes from the candidate (exception messages, printed output) only ever goes through `Text`, never markup.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grader.model import NOT_RUN, CheckResult, GradeReport, Picture, Status, printable

if TYPE_CHECKING:  # rich is imported by the functions that draw, so `--json` never pays for it
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    from grader.batch import BatchResult
    from grader.catalog import Problem
    from grader.store import Progress

MARKS = {
    Status.PASS: ("✓", "green"),
    Status.FAIL: ("✗", "red"),
    Status.ERROR: ("!", "bold red"),
    Status.SKIP: ("–", "yellow"),
}


def report_json(report: GradeReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, allow_nan=False)


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
    if report.sandbox is not None:
        header.append(f"   sandbox {sandbox_summary(report.sandbox)}", style="dim")
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=False)
    table.add_column("Category", style="cyan", no_wrap=True)
    table.add_column("Check", ratio=3)
    table.add_column("", no_wrap=True, justify="center")
    table.add_column("Time", justify="right", no_wrap=True, style="dim")
    table.add_column("Detail", ratio=5)
    previous = None
    for check in _shown_rows(report.checks):
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
    parts: list[RenderableType] = [Panel(header, expand=True), table]
    if report.picture is not None:
        parts.append(_picture(report.picture))
    parts.append(_footer(report, command))
    if report.output.total_bytes:
        size = f"{report.output.total_bytes:,} bytes" + (", first part shown" if report.output.truncated else "")
        parts.append(Panel(Text(report.output.text.rstrip()), title=f"your code printed ({size})", title_align="left", border_style="dim"))
    return Group(*parts)


def _shown_rows(checks: list[CheckResult]) -> list[CheckResult]:
    """The rows as the scorecard shows them: behind a file that did not load, the checks it kept from running
    are one line, not forty identical ones (`--json` keeps every row)."""
    if not checks or checks[0].category != "load" or checks[0].status is Status.PASS:
        return checks
    kept = [c for c in checks[1:] if c.status is not Status.SKIP]
    waiting = [c for c in checks[1:] if c.status is Status.SKIP]
    if len(waiting) < 2:
        return checks
    reasons = sorted({c.message.removeprefix(f"{NOT_RUN}: ") for c in waiting})
    reason = reasons[0] if len(reasons) == 1 else "the file did not load"
    summary = CheckResult(f"{len(waiting)} checks", NOT_RUN, Status.SKIP, 0.0, f"{reason} (`--json` lists every row)")
    return [checks[0], *kept, summary]


def _view(picture: Picture):
    import importlib

    if not picture.view.startswith("grader.kit."):  # a report read back from a file names only our own modules
        raise ValueError(f"{picture.view!r} is not a grader.kit module")
    return importlib.import_module(picture.view)


def _picture(picture: Picture) -> RenderableType:
    """The suite's attached data, drawn by its view; data it cannot draw is a dim line, never a crash."""
    from rich.text import Text

    try:
        return _view(picture).render(picture.data)
    except (ImportError, ValueError) as exc:
        return Text(f"(the picture could not be drawn: {exc})", style="dim")


def save_picture(picture: Picture, path: Path) -> Path:
    """Write the picture to a file through its view (PNG, SVG or PDF; matplotlib)."""
    return _view(picture).save_figure(picture.data, path)


def picture_formats(view: str) -> tuple[str, ...]:
    return _view(Picture(view, None)).FIGURE_FORMATS


def sandbox_summary(sandbox: dict | str) -> str:
    """One line on what confined the candidate's code, e.g. "Landlock ABI 7 + seccomp" or "guard only"."""
    if not isinstance(sandbox, dict):
        return str(sandbox)
    layers = [f"Landlock ABI {sandbox['landlock_abi']}"] if sandbox.get("files") else []
    layers += ["seccomp"] if sandbox.get("seccomp") else []
    missing = [name for name in ("files", "signals", "network", "processes") if not sandbox.get(name)]
    return " + ".join(layers or ["guard only"]) + (f" (not confined: {', '.join(missing)})" if missing else "")


def _footer(report: GradeReport, command: str) -> Text:
    from rich.text import Text

    style = "bold green" if report.all_passed else "bold red"
    text = Text.assemble((f"Score {report.passed}/{report.total}", style), f"   total time {_fmt_time(report.duration_s)}")
    if report.speed_ratio is not None:
        against = report.speed_of or "the reference's time"
        text.append(f"   speed {report.speed_ratio:.2f}× {against}")
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
    from rich.markup import escape

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
        table.caption += escape(f"\nThe {problem.track_name} track needs {', '.join(problem.missing)}: {problem.install_hint}")
    return table


def _progress_text(progress: Progress | None) -> Text:
    from rich.text import Text

    if progress is None:
        return Text("not started", style="dim")
    help_taken = [f"{progress.hints} hint{'s' * (progress.hints != 1)}"] if progress.hints else []
    help_taken += ["solution seen"] if progress.solution_seen else []
    extra = f", {', '.join(help_taken)}" if help_taken else ""
    if progress.attempts == 0:
        return Text(f"not started{extra}", style="dim")
    style = "green" if progress.status == "passing" else "yellow"
    partial = " without the speed row" if progress.best_partial else ""
    tries = f"{progress.attempts} {'try' if progress.attempts == 1 else 'tries'}"
    return Text(
        f"{progress.status}, best {progress.best_passed}/{progress.best_total}{partial} ({tries}){extra}", style=style
    )


def hints_panel(problem: Problem, taken: int, solution_available: bool = True) -> RenderableType:
    """The hints taken so far, the newest in bold. Inside a session the last one does not point at
    `grade solution`, which the session refuses."""
    from rich.panel import Panel
    from rich.text import Text

    text = Text()
    for level, hint in enumerate(problem.hints[:taken], start=1):
        text.append("\n\n" if level > 1 else "")
        text.append(f"Hint {level} of {len(problem.hints)}: ", style="bold" if level == taken else "dim")
        text.append(hint, style="" if level == taken else "dim")
    if not taken:
        text.append(f"No hint taken yet: `grade hint {problem.slug}` shows the first of {len(problem.hints)}.", style="dim")
    elif taken >= len(problem.hints):
        shown = f" `grade solution {problem.slug}` shows the reference." if solution_available else ""
        text.append(f"\n\nThat was the last hint.{shown}", style="dim")
    return Panel(text, title=f"{problem.slug} — hints", title_align="left")


@contextlib.contextmanager
def batch_progress(total: int, quiet: bool = False) -> Iterator[Callable[[BatchResult], None]]:
    """A live progress bar on stderr for `grade batch`; yields the callback that advances it.

    Refreshed by hand, without rich's refresh thread: the batch forks a process per file, and forking
    while another thread holds a lock is how children deadlock.
    """
    if quiet:
        yield lambda result: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
        console=Console(stderr=True), auto_refresh=False, transient=True,
    )  # fmt: skip
    task = progress.add_task("", total=total)
    with progress:
        def advance(result: BatchResult) -> None:
            mark = "✓" if result.report and result.report.all_passed else "✗"
            progress.update(task, advance=1, description=f"{mark} {result.path.name}")
            progress.refresh()

        progress.refresh()
        yield advance


def leaderboard(problem: Problem, results: list[BatchResult], seed: int, wall_s: float) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from grader.batch import leaderboard_rows

    import os

    base = os.path.commonpath([str(r.path.parent) for r in results]) if results else ""
    table = Table(title=Text(printable(f"{problem.slug}: {len(results)} submissions in {base} (seed {seed})")), header_style="bold")
    for column in ("#", "File", "Score", "Speed", "Time"):
        table.add_column(column, justify="right" if column in ("#", "Score", "Speed", "Time") else "left")
    for rank, result in enumerate(leaderboard_rows(results), start=1):
        report = result.report
        if report is None:
            score = Text(f"error: {result.error}", style="red")
        else:
            style = "green" if report.all_passed else ("yellow" if report.passed else "red")
            score = Text(f"{report.passed}/{report.total}", style=style)
        speed = Text(f"{report.speed_ratio:.2f}×" if report and report.speed_ratio is not None else "—")
        if result.speed_flag:
            speed.append(f" {result.speed_flag}", style="yellow")
        # A hand-in's name is the candidate's text too: no controls, no line breaks, no markup.
        name = Text(printable(os.path.relpath(result.path, base)).replace("\n", "\N{SYMBOL FOR NEWLINE}"))
        table.add_row(str(rank), name, score, speed, f"{result.seconds:.1f}\u00a0s")
    passed = sum(1 for r in results if r.report and r.report.all_passed)
    # No-break spaces keep each figure with its unit when the caption wraps.
    table.caption = (
        f"{passed} of {len(results)} pass every check · wall time {wall_s:.1f}\u00a0s · speed: time against the "
        "reference (lower is faster); of equal scores, flagged speed rows rank last"
    )
    return table
