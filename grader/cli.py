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

    def invoke(self, ctx: click.Context):
        """A signal that stops a command ends it with 128 + the signal's number (130 for Ctrl-C), not 1."""
        from grader.core.interrupts import Interrupted, exit_status

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            signame = exc.signame if isinstance(exc, Interrupted) else "SIGINT"
            click.echo(f"interrupted ({signame})", err=True)
            ctx.exit(exit_status(signame))


class _ProblemContext(click.Context):
    """`grade PROBLEM`'s context: usage lines and errors say `grade [OPTIONS] PROBLEM`, the command users type,
    not `grade run`, the name it is routed to."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class _ProblemCommand(click.Command):
    context_class = _ProblemContext


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


UNSANDBOXED_HELP = (
    "Grade even where the kernel sandbox (Landlock and seccomp, Linux) is missing: the candidates' code could then read "
    "the reference solutions, change other files and signal other processes."
)


def _require_sandbox(command: str, allowed_without: bool) -> None:
    """Batch grading and interviews decide about people: without the kernel sandbox they run only when asked to."""
    from grader.sandbox.lockdown import kernel_support, missing_protections

    missing = missing_protections(kernel_support())
    if missing and not allowed_without:
        raise click.UsageError(
            f"{command} runs candidates' code only inside the kernel sandbox, and this system cannot confine its "
            f"{', '.join(missing)} (Landlock needs Linux 5.13+, and libseccomp). Pass --allow-unsandboxed to go ahead "
            "without it; the reports will say so."
        )


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
      grade torch_activation_viz --plot acts.png    also save the histograms as a figure
      grade list                      all problems, with your progress
      grade show layernorm            the spec, in the terminal
      grade hint layernorm            the next hint (they get more specific)
      grade solution layernorm        the reference solution, after a confirmation
      grade watch layernorm           re-grade on every save, scorecard redrawn in place
      grade reset layernorm           put the stub back (your file is kept in problems/layernorm/backups/)
      grade batch layernorm subs/     grade many submissions in parallel: leaderboard, CSV, JSON
      grade cs231n assignment2/       your CS231n assignment 2 as it stands: every problem it shares with us
      grade session start ...         a timed interview: workspace, recorded attempts, report

    Exit status: 0 every check passed, 1 some check failed, 2 the command itself was wrong, 128 + N a signal
    stopped it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP): an interrupted grading is never a pass.
    """


@main.command("run", cls=_ProblemCommand)
@click.argument("problem_name", metavar="PROBLEM")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Grade this file instead of problems/PROBLEM/PROBLEM.py.")
@click.option("--reference", is_flag=True, help="Grade the reference solution (every check should pass).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the randomized hidden cases; the scorecard shows the one used.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds one call of your code may take (default 5, or the problem's own, e.g. for training loops).")
@click.option("--memory-mb", type=click.IntRange(min=256), default=4096, show_default=True, help="Memory your code may use, in MiB.")
@click.option("--no-speed", is_flag=True, help="Leave the speed row out (quicker while iterating).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of the scorecard.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Also save the problem's picture (torch_activation_viz: the histograms) as a PNG, SVG or PDF file; needs matplotlib.")
def run(
    problem_name: str, file: Path | None, reference: bool, seed: int | None, timeout: float, memory_mb: int, no_speed: bool, as_json: bool,
    plot: Path | None,
) -> None:
    """Grade PROBLEM: your file against the spec's examples and the hidden checks."""
    from grader.core.preflight import hand_in_text
    from grader.core.runner import GradeOptions, grade, grader_file, new_seed, package_refused
    from grader.render import report_json, scorecard

    problem = _problem_or_usage_error(problem_name)
    _require_track(problem)
    if plot is not None:
        _check_plot(problem, plot)
    if file is not None and reference:
        raise click.UsageError("--file and --reference are mutually exclusive: grade one file at a time.")
    if file is not None and grader_file(problem, file):
        raise click.UsageError(f"{file} is one of the grader's own files (a solution, a hidden suite, the grader); --reference grades the reference.")
    refused = package_refused(problem, file) if file is not None else None
    if refused:
        raise click.UsageError(f"{file} cannot be graded: {refused}")
    session = _session_grading(file, problem, reference, seed)
    target = (file or session.stub_of(problem.slug)) if session else problem.solution if reference else (file or problem.stub)
    if not target.is_file():
        raise click.UsageError(f"{target} does not exist.")
    options = GradeOptions(
        seed=session.seed if session else new_seed() if seed is None else seed, timeout_s=timeout or problem.timeout_s, memory_mb=memory_mb,
        speed=not no_speed,
        require_sandbox=session is not None and not session.unsandboxed,
    )
    code = hand_in_text(target) if session else ""  # what this grading reads
    report = grade(problem, target.resolve(), options)
    report.file = _shown_path(target)
    shown, note = report, ""
    if session is not None:
        shown, note = _record_in_session(session, report, target, code)
    elif not reference:
        _record(report, target)
    if as_json:
        click.echo(report_json(shown))
    else:
        from rich.console import Console

        console = Console(highlight=False)
        console.print(scorecard(shown))
        if note:
            console.print(note)
    if plot is not None:
        _save_plot(report, plot)
    sys.exit(_exit_status(report))


def _exit_status(report) -> int:
    from grader.core.interrupts import exit_status

    return exit_status(report.interrupted) if report.interrupted else 0 if report.all_passed else 1


def _check_plot(problem, plot: Path) -> None:
    """Refuse a `--plot` that cannot be honoured before grading, not after it."""
    from grader.catalog import installed
    from grader.render import picture_formats

    if not problem.picture:
        drawn = [p.slug for p in _catalog().ordered() if p.picture]
        raise click.UsageError(f"--plot: {problem.slug} draws no picture; {', '.join(drawn)} does.")
    formats = picture_formats(problem.picture)
    if plot.suffix.lower() not in formats:
        raise click.UsageError(f"--plot writes {', '.join(formats)} files; {plot.name!r} is none of them.")
    if not installed("matplotlib"):
        raise click.UsageError("--plot needs matplotlib, which is not installed: pip install matplotlib (the scorecard draws the picture without it).")


def _save_plot(report, plot: Path) -> None:
    """The file is an extra: failing to write it is a note on stderr, and the grading's exit status stands."""
    from grader.render import save_picture

    if report.picture is None:
        click.echo(f"--plot: {plot} not written: no check got a readable result from your code to draw (see the failing rows).", err=True)
        return
    try:
        click.echo(f"picture saved to {save_picture(report.picture, plot)}", err=True)
    except (ImportError, ValueError, OSError) as exc:
        click.echo(f"--plot: {plot} not written: {exc}", err=True)


def _session_here():
    from grader.sessions import SessionError, find_session

    try:
        return find_session()
    except SessionError as exc:
        raise click.ClickException(str(exc)) from None


def _session_grading(file: Path | None, problem, reference: bool = False, seed: int | None = None):
    """The session this grading belongs to (of the file, else of the folder we are in), once it may go ahead."""
    from grader.sessions import SessionError, check_grading, session_for

    try:
        session = session_for(file)
        if session is not None:
            check_grading(session, problem.slug, reference, seed)
    except SessionError as exc:
        raise click.UsageError(str(exc)) from None
    return session


def _record_in_session(session, report, target: Path, code: str):
    """Record the attempt (never refused, late ones flagged) and return what the candidate may see."""
    from grader.session_status import attempt_note
    from grader.sessions import record_attempt, summarize

    attempt = record_attempt(session, report, code, target)
    return (report if session.feedback == "full" else summarize(report)), attempt_note(session, attempt)


def _record(report, target: Path) -> None:
    """Progress is a convenience: a store that cannot be written never costs the user their scorecard."""
    import sqlite3

    from grader.core.preflight import hand_in_text
    from grader.store import Store

    try:
        Store().record_attempt(report, hand_in_text(target))
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
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the leaderboard as CSV here [default: normkata-batch-PROBLEM.csv, or -2, -3… beside an earlier one].")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), help="Write every report as JSON here ('-': stdout, and no table) [default: normkata-batch-PROBLEM.json, or -2, -3…].")
@click.option("--allow-unsandboxed", is_flag=True, help=UNSANDBOXED_HELP)
def batch(
    problem_name: str, paths: tuple[Path, ...], jobs: int, seed: int | None, timeout: float | None, memory_mb: int, no_speed: bool,
    csv_path: Path | None, json_path: Path | None, allow_unsandboxed: bool,
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

    from grader.batch import BatchInputError, discover, grade_batch, to_csv, to_json, unused_path
    from grader.core.runner import GradeOptions, new_seed
    from grader.render import batch_progress, leaderboard

    problem = _problem_or_usage_error(problem_name)
    _require_track(problem)
    _require_sandbox("grade batch", allow_unsandboxed)
    try:
        files = discover(problem, paths)
    except BatchInputError as exc:
        raise click.UsageError(str(exc)) from None
    options = GradeOptions(
        seed=new_seed() if seed is None else seed, timeout_s=timeout or problem.timeout_s, memory_mb=memory_mb, speed=not no_speed,
        require_sandbox=not allow_unsandboxed,
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
        json_file = json_path or unused_path(Path(f"normkata-batch-{problem.slug}.json"))
        csv_file = csv_path or unused_path(Path(f"normkata-batch-{problem.slug}.csv"))
        replaced = [_shown_path(f) for f in (csv_file, json_file) if f.exists()]  # only paths given on purpose
        json_file.write_text(document + "\n", encoding="utf-8")
        csv_file.write_text(to_csv(results), encoding="utf-8")
        from rich.console import Console

        console = Console(highlight=False)
        console.print(leaderboard(problem, results, options.seed, wall))
        console.print(f"wrote {_shown_path(csv_file)} and {_shown_path(json_file)}")
        if replaced:
            console.print(f"(replaced the earlier {' and '.join(replaced)}, as --csv/--json asked)")
    sys.exit(0 if all(r.report and r.report.all_passed for r in results) else 1)


@main.command("cs231n")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the randomized hidden cases, the same for every problem (default: drawn once).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds one call of your code may take (default: each problem's, usually 5).")
@click.option("--memory-mb", type=click.IntRange(min=256), default=4096, show_default=True, help="Memory your code may use, in MiB.")
@click.option("--no-speed", is_flag=True, help="Leave the speed rows out (a third quicker).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for the whole folder on stdout instead of the summary.")
def cs231n(path: Path, seed: int | None, timeout: float | None, memory_mb: int, no_speed: bool, as_json: bool) -> None:
    """Grade a CS231n assignment 2 folder as it stands, every problem the course shares with the catalogue.

    PATH is the assignment2 folder (the one holding cs231n/) or the cs231n package itself. Each problem
    that keeps CS231n's signatures is graded on your own file, imported as part of your package, so
    `from ..layers import *` finds your layers.py: batch, layer, spatial batch and group normalization in
    cs231n/layers.py, FullyConnectedNet in cs231n/classifiers/fc_net.py.

    \b
      grade cs231n ~/cs231n/assignment2
      grade cs231n assignment2/cs231n --no-speed       quicker, without the speed rows
      grade cs231n assignment2 --json | jq .problems   one JSON object for the folder

    What your course year's assignment does not have (2017's has no layer norm) is shown as absent and not
    counted; functions the template left as they were are listed as not implemented yet.

    Exit status: 0 every problem present passes every check, 1 otherwise, 2 the command itself was wrong.
    """
    from rich.console import Console

    from grader.core.runner import GradeOptions, new_seed
    from grader.cs231n import AssignmentError, find_package, grade_assignment
    from grader.cs231n_render import assignment_json, assignment_summary

    try:
        find_package(path)
    except AssignmentError as exc:
        raise click.UsageError(str(exc)) from None
    options = GradeOptions(seed=new_seed() if seed is None else seed, memory_mb=memory_mb, speed=not no_speed)
    finished: list[str] = []
    with Console(stderr=True).status(f"grading {path}", spinner="dots") as status:

        def done(outcome) -> None:
            finished.append(outcome.problem)
            status.update(f"grading {path}: {len(finished)} problems done, the last {outcome.problem} ({outcome.state})")

        try:
            report = grade_assignment(_catalog(), path, options, timeout, on_outcome=done)
        except AssignmentError as exc:
            raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(assignment_json(report))
    else:
        Console(highlight=False).print(assignment_summary(report))
    sys.exit(_exit_status(report))


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
@click.option("--again", is_flag=True, help="Show the hints already taken, without taking another.")
def hint(problem_name: str, again: bool) -> None:
    """Reveal PROBLEM's next hint; the ones already taken are shown again above it.

    The first hint is a nudge, the later ones more specific. Hints taken are remembered (in an interview
    session, they appear in the interviewer's report).
    """
    from rich.console import Console

    from grader.render import hints_panel
    from grader.store import Store

    problem = _problem_or_usage_error(problem_name)
    session = _session_here()
    if session is not None:
        from grader.sessions import read_record, record_hint

        _session_grading(None, problem)
        taken = read_record(session).hints_taken(problem.slug)
        if taken < len(problem.hints) and not again:
            taken += 1
            record_hint(session, problem.slug, taken)
    else:
        store = Store()
        taken = store.hints_taken(problem.slug)
        if taken < len(problem.hints) and not again:
            taken += 1
            store.record_hint(problem.slug, taken)
    Console(highlight=False).print(hints_panel(problem, taken, solution_available=session is None))
    if session is not None:
        click.echo("(hints taken in a session appear in the interviewer's report)")


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
    session = _session_grading(file, problem, seed=seed)
    target = (file or (session.stub_of(problem.slug) if session else problem.stub)).resolve()
    seed = session.seed if session else new_seed() if seed is None else seed
    recorded = " — every save is a recorded attempt of the session" if session else ""
    console = Console(highlight=False)

    def show(result) -> None:
        console.clear()
        if isinstance(result, str):
            console.print(f"[red]could not grade:[/red] {result}", markup=True, highlight=False)
        else:
            result.title, result.file = problem.title, _shown_path(target)
            console.print(scorecard(result))
        console.print(f"[dim]watching {_shown_path(target)} (seed {seed}){recorded} — save to re-grade, Ctrl-C to stop[/dim]")

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
    if _session_here() is not None:
        raise click.UsageError("reference solutions are not available during an interview session.")
    if not yes and not _confirmed(f"Show the reference solution of {problem.slug}? It will be noted in your progress"):
        click.echo("Nothing was shown, and nothing was noted.")
        return
    Store().record_solution_seen(problem.slug)
    Console().print(Syntax(problem.solution.read_text(encoding="utf-8"), "python", line_numbers=True))


def _confirmed(question: str) -> bool:
    """A yes/no question whose "no" is an ordinary answer: Ctrl-C, Ctrl-D or an empty stdin say no, quietly."""
    try:
        return click.confirm(question)
    except click.Abort:
        click.echo()
        return False


@main.command("reset")
@click.argument("problem_name", metavar="PROBLEM")
def reset(problem_name: str) -> None:
    """Put PROBLEM's stub back, keeping your file as a named backup in problems/PROBLEM/backups/."""
    from grader.stubs import restore_stub

    problem = _problem_or_usage_error(problem_name)
    if _session_here() is not None:
        raise click.UsageError("reset is not available inside an interview session (your attempts are being recorded).")
    changed, backup = restore_stub(problem)
    if not changed:
        click.echo(f"{_shown_path(problem.stub)} is already the original stub; nothing to do.")
        return
    if backup is not None:
        click.echo(f"saved your file as {_shown_path(backup)}")
    click.echo(f"restored the original stub in {_shown_path(problem.stub)}")


@main.group("session")
def session() -> None:
    """Timed interview sessions: a workspace for the candidate, a report for you.

    \b
      grade session start --candidate "Ada L." --problems layernorm,batchnorm --minutes 45
                                                 prepare the workspace (the clock does not start yet)
      grade session begin                        the candidate starts the clock, in the workspace
      (the candidate runs `grade <problem>`, `make grade P=<problem>` or `grade watch <problem>`:
       every grading is a recorded attempt, shown with the session's --feedback)
      grade session status                       time left, latest score per problem
      grade session report --output ada.html     the report: md, json or html (from the suffix)
    Session commands act on the workspace you run them in, or the one --workspace names.
    """


@session.command("start")
@click.option("--candidate", required=True, help="The candidate's name, as it should appear in the report.")
@click.option("--problems", "problem_list", required=True, help="Comma-separated problems, e.g. layernorm,batchnorm.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=45, show_default=True,
              help="The time limit, from `grade session begin` (fractions too: 0.5); later attempts are recorded and marked late.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Where to create the workspace [default: ./normkata-session-CANDIDATE].")
@click.option("--feedback", type=click.Choice(["summary", "full"]), default="summary", show_default=True,
              help="What the candidate sees when grading: summary = examples, contract and speed rows in full, hidden and gradcheck rows as counts; full = every row.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of every grading and report of the session (default: drawn now), e.g. to give two candidates the same cases.")
@click.option("--allow-unsandboxed", is_flag=True, help=UNSANDBOXED_HELP + " Recorded in the session and its report.")
def session_start(
    candidate: str, problem_list: str, minutes: float, directory: Path | None, feedback: str, seed: int | None, allow_unsandboxed: bool
) -> None:
    """Prepare a candidate workspace (specs and stubs only); the clock starts with `grade session begin`."""
    from grader.core.runner import new_seed
    from grader.sessions import SessionError, duration, start_session

    _require_sandbox("an interview session", allow_unsandboxed)
    problems = [_problem_or_usage_error(s.strip()) for s in problem_list.split(",") if s.strip()]
    for problem in problems:
        _require_track(problem)
    try:
        info = start_session(problems, candidate, minutes, directory, feedback, new_seed() if seed is None else seed, unsandboxed=allow_unsandboxed)
    except SessionError as exc:
        raise click.UsageError(str(exc)) from None
    workspace = _shown_path(info.workspace)
    click.echo(f"Session {info.id} for {candidate}: {duration(60 * minutes)} on {', '.join(info.problems)} (seed {info.seed}).")
    click.echo(f"Workspace: {info.workspace}")
    click.echo(
        f"Hand over that folder. The clock starts when the candidate runs `grade session begin` in it (or you run "
        f"`grade session begin --workspace {workspace}`); until then grading is refused. Then: grade {info.problems[0]}, "
        "grade session status."
    )
    click.echo(f"Record: {info.db}")
    click.echo(f"When time is up: grade session report --workspace {workspace} --output report.html")


def _session_or_error(workspace: Path | None):
    from grader.sessions import SessionError, find_session

    try:
        info = find_session(workspace=workspace)
    except SessionError as exc:
        raise click.UsageError(str(exc)) from None
    if info is None:
        raise click.UsageError("no session here: run this inside a session workspace, or pass --workspace DIR.")
    return info


WORKSPACE_OPTION = click.option(
    "--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path), help="The session workspace [default: the one you are in]."
)


@session.command("begin")
@WORKSPACE_OPTION
def session_begin(workspace: Path | None) -> None:
    """Start the session's clock (once: running it again only says when it started)."""
    from grader.session_status import begin_message
    from grader.sessions import begin_session

    info, started_now = begin_session(_session_or_error(workspace))
    click.echo(begin_message(info, started_now))


@session.command("status")
@WORKSPACE_OPTION
def session_status(workspace: Path | None) -> None:
    """Time left and the latest score per problem."""
    import time

    from rich.console import Console

    from grader.session_status import status_table
    from grader.sessions import read_record

    info = _session_or_error(workspace)
    Console(highlight=False).print(status_table(read_record(info), time.time()))


@session.command("report")
@WORKSPACE_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]),
              help="md (readable anywhere), json (data) or html (a self-contained page) [default: from --output's suffix, else md].")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here [default: stdout].")
def session_report(workspace: Path | None, fmt: str | None, output: Path | None) -> None:
    """Grade each problem's final code (and its code at the deadline) with the full suite, and write the report.

    Every grading uses the session's seed and is kept in the record, so a second report, in any format,
    gives the same scores and rows.
    """
    import tempfile

    from grader.core.runner import GradeOptions, grade
    from grader.session_report import build_report, export

    info = _session_or_error(workspace)
    fmt = fmt or {".html": "html", ".htm": "html", ".json": "json"}.get(output.suffix.lower() if output else "", "md")

    def grade_code(problem, code: str):
        options = GradeOptions(seed=info.seed, timeout_s=problem.timeout_s, require_sandbox=not info.unsandboxed)
        with tempfile.TemporaryDirectory(prefix="normkata-report-") as folder:
            path = Path(folder) / f"{problem.slug}.py"
            path.write_text(code, encoding="utf-8")
            report = grade(problem, path, options)
        if report.interrupted:  # stop here: nothing is recorded, and no report that looks complete is written
            from grader.core.interrupts import Interrupted

            click.echo(f"grading {problem.slug} was interrupted; no report written", err=True)
            raise Interrupted(report.interrupted)
        report.title = problem.title
        return report

    text = export(build_report(info, _catalog(), grade_code), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {_shown_path(output)}", err=True)
