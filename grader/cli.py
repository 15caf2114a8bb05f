"""The `grade` command: parse, call the core, render. Nothing else lives here.

`grade layernorm` is short for `grade run layernorm`: `KataGroup` routes a problem name to `run` and
leaves every other word to click's usual handling, so a typo still gets click's error (plus our
suggestions). Problem slugs must never be subcommand names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.catalog import Catalog, CatalogError


class KataGroup(click.Group):
    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


def _catalog() -> Catalog:
    return Catalog()


def _problem_or_usage_error(slug: str):
    try:
        problem = _catalog().get(slug)
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    if problem is None:
        suggestions = _catalog().suggest(slug)
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        raise click.UsageError(f"no problem named {slug!r}.{hint} `grade list` shows them all.")
    return problem


def _require_track(problem) -> None:
    """A track whose framework is not installed is one clear line and exit 2, not a traceback."""
    if problem.missing:
        click.echo(
            f"{problem.slug} is in the {problem.track_name} track, which needs {', '.join(problem.missing)}: "
            f"{problem.install_hint}",
            err=True,
        )
        sys.exit(2)


@click.group(cls=KataGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Grade your normalization-layer katas.

    \b
    Work on problems/<problem>/<problem>.py (the spec is the README.md beside it), then:
      grade layernorm                 grade your file: examples, contract, hidden, gradcheck, speed
      grade layernorm --seed 123      replay the exact random cases of an earlier run
      grade layernorm --reference     grade the reference solution (what a perfect score looks like)
      grade layernorm --json          one JSON object on stdout, for scripts and CI
      grade list                      all problems, with your progress
      grade show layernorm            the spec, in the terminal
      grade hint layernorm            the next hint (they get more specific)
      grade solution layernorm        the reference solution, after a confirmation
      grade watch layernorm           re-grade on every save, scorecard redrawn in place

    Exit status: 0 every check passed, 1 some check failed, 2 the command itself was wrong.
    """


@main.command("run")
@click.argument("problem_name", metavar="PROBLEM")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Grade this file instead of problems/PROBLEM/PROBLEM.py.")
@click.option("--reference", is_flag=True, help="Grade the reference solution (every check should pass).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the randomized hidden cases; the scorecard shows the one used.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds one call of your code may take (default 5, or the problem's own, e.g. for training loops).")
@click.option("--memory-mb", type=click.IntRange(min=256), default=4096, show_default=True, help="Memory your code may use, in MiB.")
@click.option("--no-speed", is_flag=True, help="Leave the speed row out (quicker while iterating).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of the scorecard.")
def run(
    problem_name: str, file: Path | None, reference: bool, seed: int | None, timeout: float, memory_mb: int, no_speed: bool, as_json: bool
) -> None:
    """Grade PROBLEM: your file against the spec's examples and the hidden checks."""
    from grader.core.runner import GradeOptions, grade, new_seed
    from grader.render import report_json, scorecard

    problem = _problem_or_usage_error(problem_name)
    _require_track(problem)
    if file is not None and reference:
        raise click.UsageError("--file and --reference are mutually exclusive: grade one file at a time.")
    target = problem.solution if reference else (file or problem.stub)
    if not target.is_file():
        raise click.UsageError(f"{target} does not exist.")
    options = GradeOptions(
        seed=new_seed() if seed is None else seed, timeout_s=timeout or problem.timeout_s, memory_mb=memory_mb, speed=not no_speed
    )
    report = grade(problem, target.resolve(), options)
    report.file = _shown_path(target)
    if not reference:
        _record(report, target)
    if as_json:
        click.echo(report_json(report))
    else:
        from rich.console import Console

        Console(highlight=False).print(scorecard(report))
    sys.exit(0 if report.all_passed else 1)


def _record(report, target: Path) -> None:
    """Progress is a convenience: a store that cannot be written never costs the user their scorecard."""
    import sqlite3

    from grader.store import Store

    try:
        Store().record_attempt(report, target.read_text(encoding="utf-8", errors="replace"))
    except (sqlite3.Error, OSError) as exc:
        click.echo(f"note: progress not saved ({exc})", err=True)


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@main.command("batch")
@click.argument("problem_name", metavar="PROBLEM")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=lambda: os.cpu_count() or 2, show_default="the number of CPUs", help="Files graded at the same time.")
@click.option("--seed", type=click.IntRange(min=0), help="One seed for every file, so all face the same cases (default: drawn once).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds one call may take (default: the problem's, usually 5).")
@click.option("--memory-mb", type=click.IntRange(min=256), default=4096, show_default=True, help="Memory each submission may use, in MiB.")
@click.option("--no-speed", is_flag=True, help="Leave the speed rows out (a faster batch).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the leaderboard as CSV here [default: normkata-batch-PROBLEM.csv].")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), help="Write every report as JSON here ('-': stdout, and no table) [default: normkata-batch-PROBLEM.json].")
def batch(
    problem_name: str, paths: tuple[Path, ...], jobs: int, seed: int | None, timeout: float | None, memory_mb: int, no_speed: bool,
    csv_path: Path | None, json_path: Path | None,
) -> None:
    """Grade many submissions of PROBLEM in parallel: files, or folders of them.

    A folder means its PROBLEM.py files at any depth (one folder per submission), or else the .py files
    directly inside it.

    \b
    Prints a leaderboard (score, speed against the reference, time) and writes every report:
      grade batch layernorm submissions/               every submissions/**/layernorm.py
      grade batch layernorm a.py b.py --seed 7 -j 4    the same random cases for everyone
      grade batch layernorm subs/ --json - | jq .      JSON on stdout, nothing else
    Exit status: 0 every file passed every check, 1 otherwise, 2 the command itself was wrong.
    """
    import json
    import time

    from grader.batch import BatchInputError, discover, grade_batch, to_csv, to_json
    from grader.core.runner import GradeOptions, new_seed
    from grader.render import batch_progress, leaderboard

    problem = _problem_or_usage_error(problem_name)
    _require_track(problem)
    try:
        files = discover(problem, paths)
    except BatchInputError as exc:
        raise click.UsageError(str(exc)) from None
    options = GradeOptions(
        seed=new_seed() if seed is None else seed, timeout_s=timeout or problem.timeout_s, memory_mb=memory_mb, speed=not no_speed
    )
    to_stdout = str(json_path) == "-"
    started = time.monotonic()
    with batch_progress(len(files), quiet=to_stdout) as advance:
        results = grade_batch(problem, files, options, jobs, advance)
    wall = time.monotonic() - started
    document = json.dumps(to_json(problem, results, options, wall), indent=None if to_stdout else 2)
    if to_stdout:
        click.echo(document)
    else:
        json_file = json_path or Path(f"normkata-batch-{problem.slug}.json")
        csv_file = csv_path or Path(f"normkata-batch-{problem.slug}.csv")
        json_file.write_text(document + "\n", encoding="utf-8")
        csv_file.write_text(to_csv(results), encoding="utf-8")
        from rich.console import Console

        console = Console(highlight=False)
        console.print(leaderboard(problem, results, options.seed, wall))
        console.print(f"wrote {_shown_path(csv_file)} and {_shown_path(json_file)}")
    sys.exit(0 if all(r.report and r.report.all_passed for r in results) else 1)


@main.command("list")
def list_problems() -> None:
    """List the problems by track and difficulty, with your progress on each."""
    from rich.console import Console

    from grader.render import catalog_table
    from grader.store import Store

    Console(highlight=False).print(catalog_table(_catalog().ordered(), Store().progress()))


@main.command("show")
@click.argument("problem_name", metavar="PROBLEM")
def show(problem_name: str) -> None:
    """Show PROBLEM's spec (its README.md) in the terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    problem = _problem_or_usage_error(problem_name)
    Console().print(Markdown(problem.spec.read_text(encoding="utf-8")))


@main.command("hint")
@click.argument("problem_name", metavar="PROBLEM")
def hint(problem_name: str) -> None:
    """Reveal PROBLEM's next hint; the ones already taken are shown again above it."""
    from rich.console import Console

    from grader.render import hints_panel
    from grader.store import Store

    problem = _problem_or_usage_error(problem_name)
    store = Store()
    taken = store.hints_taken(problem.slug)
    if taken < len(problem.hints):
        taken += 1
        store.record_hint(problem.slug, taken)
    Console(highlight=False).print(hints_panel(problem, taken))


@main.command("watch")
@click.argument("problem_name", metavar="PROBLEM")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Watch this file instead of problems/PROBLEM/PROBLEM.py.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for every grading of this watch (default: one drawn at start).")
@click.option("--speed", is_flag=True, help="Include the speed row (slower feedback).")
@click.option("--runs", type=click.IntRange(min=1), hidden=True, help="Stop after this many gradings (for tests).")
def watch_cmd(problem_name: str, file: Path | None, seed: int | None, speed: bool, runs: int | None) -> None:
    """Re-grade PROBLEM every time the file is saved (Ctrl-C stops)."""
    from rich.console import Console

    from grader.core.runner import new_seed
    from grader.render import scorecard
    from grader.watch import watch

    problem = _problem_or_usage_error(problem_name)
    target = (file or problem.stub).resolve()
    seed = new_seed() if seed is None else seed
    console = Console(highlight=False)

    def show(result) -> None:
        console.clear()
        if isinstance(result, str):
            console.print(f"[red]could not grade:[/red] {result}", markup=True, highlight=False)
        else:
            result.title, result.file = problem.title, _shown_path(target)
            console.print(scorecard(result))
        console.print(f"[dim]watching {_shown_path(target)} (seed {seed}) — save to re-grade, Ctrl-C to stop[/dim]")

    try:
        watch(problem.slug, target, seed, speed, show, stop_after=runs)
    except KeyboardInterrupt:
        console.print("stopped watching")


@main.command("solution")
@click.argument("problem_name", metavar="PROBLEM")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def solution(problem_name: str, yes: bool) -> None:
    """Show PROBLEM's reference solution (asks first, and remembers that you looked)."""
    from rich.console import Console
    from rich.syntax import Syntax

    from grader.store import Store

    problem = _problem_or_usage_error(problem_name)
    if not yes and not click.confirm(f"Show the reference solution of {problem.slug}? It will be noted in your progress"):
        raise SystemExit(1)
    Store().record_solution_seen(problem.slug)
    Console().print(Syntax(problem.solution.read_text(encoding="utf-8"), "python", line_numbers=True))
