"""`grade cs231n`'s summary: one row per problem of the folder, what each scored and why, in one table.

Pure: builds the renderable from the model; the CLI owns the Console. Every text that can come from the
candidate's files (an exception message in a note) goes through `Text`, never markup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from grader.cs231n import ABSENT, GRADED, NOT_IMPLEMENTED, AssignmentReport, ProblemOutcome
from grader.render import sandbox_summary

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text


FIRST_FAILURE_CHARS = 200  # a failing row's message stands in for a named mistake, cut to this length


def assignment_json(report: AssignmentReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, allow_nan=False)


def assignment_summary(report: AssignmentReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"CS231n assignment: {report.folder}", header_style="bold", expand=True, show_lines=True)
    table.add_column("Problem", ratio=2, overflow="fold")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Findings", ratio=4)
    table.add_column("Not implemented yet", ratio=3, overflow="fold")
    for outcome in report.outcomes:
        problem = Text.assemble((outcome.problem, "bold"), "\n", (outcome.file, "dim"))
        table.add_row(problem, _score(outcome), _findings(outcome), _unwritten(outcome))
    return Group(table, _footer(report))


def _score(outcome: ProblemOutcome) -> Text:
    from rich.text import Text

    if outcome.state == ABSENT:
        return Text("absent", style="dim")
    if outcome.state == NOT_IMPLEMENTED:
        return Text("not started", style="yellow")
    report = outcome.report
    return Text(f"{report.passed}/{report.total}", style="green" if outcome.passed else "red")


def _findings(outcome: ProblemOutcome) -> Text:
    from rich.text import Text

    text = Text()
    if outcome.state == GRADED and outcome.passed:
        text.append("every check passes", style="green")
    for mistake in outcome.mistakes:
        text.append(("\n" if text else "") + f"• {mistake}")
    if outcome.note:
        text.append(("\n" if text else "") + outcome.note, style="dim" if outcome.state == ABSENT else "red")
    if outcome.state == GRADED and not outcome.passed and not outcome.mistakes and not outcome.note:
        first = outcome.first_failure
        text.append("first failing row: " + (first if len(first) <= FIRST_FAILURE_CHARS else first[: FIRST_FAILURE_CHARS - 1] + "…"))
    return text


def _unwritten(outcome: ProblemOutcome) -> Text:
    from rich.text import Text

    text = Text("\n".join(outcome.not_implemented), style="yellow")
    if outcome.unwritten_calls:
        text.append(("\n" if text else "") + "it calls:\n" + "\n".join(outcome.unwritten_calls), style="yellow")
    return text


def _footer(report: AssignmentReport) -> Text:
    from rich.text import Text

    counted = [o for o in report.outcomes if o.counts]
    passing = sum(o.passed for o in counted)
    absent = len(report.outcomes) - len(counted)
    style = "bold green" if report.all_passed else "bold red"
    if counted:
        text = Text.assemble((f"{passing} of {len(counted)} problems pass every check", style))
    else:
        text = Text("None of the catalogue's CS231n problems is in this folder: is it assignment 2?", style=style)
    if absent:
        text.append(f"   {absent} absent from this course year's assignment (not counted)")
    text.append(f"   seed {report.seed}   total time {report.duration_s:.1f} s", style="dim")
    sandbox = next((o.report.sandbox for o in report.outcomes if o.report and o.report.sandbox is not None), None)
    if sandbox is not None:
        text.append(f"   sandbox {sandbox_summary(sandbox)}", style="dim")
    if report.interrupted:
        text.append(f"\nInterrupted ({report.interrupted}): the problems after the last row were not graded.", style="bold red")
    failing = next((o for o in report.outcomes if o.state == GRADED and not o.passed), None)
    if failing is not None:
        text.append("\nEvery row of a problem: ", style="")
        text.append(f"grade {failing.problem} --file {Path(report.folder) / failing.file} --seed {report.seed}", style="bold")
    return text
