"""One grading run: load the candidate in a worker, run the problem's hidden suite, build the report."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import random
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from grader.catalog import Problem
from grader.core import interrupts
from grader.core.package import package_of, package_refusal
from grader.core.preflight import LoadFailure, check_functions, check_source, describe_load_error
from grader.core.session import WorkerSession
from grader.model import NOT_RUN, CandidateOutput, CheckResult, GradeReport, Picture, Status
from grader.sandbox.client import WorkerConfig

if TYPE_CHECKING:  # imported with pytest, once the suite runs
    from grader.core.plugin import GradingPlugin

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MEMORY_MB = 4096
# One BLAS thread: timings of candidate and reference stay comparable and the machine stays responsive.
# glibc malloc keeps large blocks in its heap instead of mmap/munmap for each: on this machine that halves
# the time of the first runs over fresh (N, D) arrays, which page faults otherwise dominate (PERF_NOTES.md).
WORKER_ENV = (
    ("OMP_NUM_THREADS", "1"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
    ("MALLOC_MMAP_THRESHOLD_", "4294967296"),
    ("MALLOC_TRIM_THRESHOLD_", "17179869184"),
)


@dataclass(frozen=True)
class GradeOptions:
    seed: int
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    speed: bool = True  # False: the speed row is reported as not run (a quicker loop while iterating)
    zygote_fd: int | None = None  # workers come from this zygote (batch grading: imports already done)
    require_sandbox: bool = False  # batch and interview gradings: no candidate code runs unconfined


UNUSED_PYTEST_PLUGINS = (
    "cacheprovider", "faulthandler", "doctest", "junitxml", "pastebin", "stepwise", "setuponly", "setupplan",
    "legacypath", "logging", "unittest", "debugging", "unraisableexception", "threadexception", "warnings",
)  # fmt: skip


def new_seed() -> int:
    return random.SystemRandom().randrange(100_000)


def worker_config(problem: Problem, options: GradeOptions) -> WorkerConfig:
    return WorkerConfig(
        memory_mb=options.memory_mb,
        env=WORKER_ENV + (("NORMKATA_WORKER_PRELOAD", ",".join(problem.preload)),),
        zygote_fd=options.zygote_fd,
    )


def load_reference(problem: Problem) -> ModuleType:
    """The reference solution, imported in the grader: it is our code, and computes the expected values."""
    spec = importlib.util.spec_from_file_location(f"normkata_reference_{problem.slug}", problem.solution)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SuiteRun(Protocol):
    """Runs the hidden suite for one grading: pytest from scratch (`_run_suite`), or the items a batch collected
    once before forking (`grader.core.collected`). Returns the rows and the plugin that kept them."""

    def __call__(
        self, problem: Problem, session: WorkerSession, options: GradeOptions, blocked: str | None, trap: interrupts.SignalTrap
    ) -> tuple[list[CheckResult], GradingPlugin]: ...


def grade(problem: Problem, file: Path, options: GradeOptions, suite: SuiteRun | None = None) -> GradeReport:
    started = time.monotonic()
    report = GradeReport(problem=problem.slug, title=problem.title, file=str(file), seed=options.seed)
    session = WorkerSession(
        file,
        problem.solution if options.speed else None,  # the speed row's other side, in a worker of its own
        list(problem.functions),
        timeout=options.timeout_s,
        config=worker_config(problem, options),
        protected=graders_answers(problem),
        forbidden_trees=confined_from(problem),
        require_sandbox=options.require_sandbox,
        forbidden=problem.forbidden_imports,
        track=problem.track_name,
        package=package_of(file),
        aliases=problem.aliases,
    )
    blocked: str | None = None
    rows: list[CheckResult] = []
    plugin: GradingPlugin | None = None  # what the suite's run found besides its rows (speed, picture)
    load_s = 0.0
    with interrupts.trapped() as trap:
        try:
            try:
                try:
                    check_source(problem, file)
                    refused = package_refused(problem, file)
                    if refused:
                        raise LoadFailure(f"not graded: {refused}")
                    session.start()
                    warm_up(problem)  # the worker boots (imports NumPy, and torch for its track) meanwhile, on the other core
                    loading = time.monotonic()
                    try:
                        blocked = _load(problem, session)
                    finally:
                        load_s = time.monotonic() - loading  # an endless loop at import shows its 10 s, not 0 ms
                except LoadFailure as failure:
                    blocked = str(failure)
                rows, plugin = (suite or _run_suite)(problem, session, options, blocked, trap)
            finally:
                session.close()
        except interrupts.Interrupted:
            session.close()  # again: the interruption may have cut the first one short
    if blocked is not None:
        rows.insert(0, CheckResult("load the file", "load", Status.ERROR, load_s, blocked))
    if trap.received is not None:
        report.interrupted = trap.received
        rows.insert(0, _interrupted_row(trap.received, rows))
    report.checks = rows
    if plugin is not None:
        report.speed_ratio, report.speed_of = plugin.speed_figure()
        report.left_out = tuple(sorted(plugin.left_out))
        picture = plugin.picture_data()
        if picture is not None and problem.picture:
            report.picture = Picture(problem.picture, picture)
    report.output = CandidateOutput(session.output.text, session.output.total_bytes)
    report.sandbox = sandbox_label(session.sandbox)
    report.make_printable()
    report.duration_s = time.monotonic() - started
    return report


def sandbox_label(status: dict | None) -> dict | str | None:
    """The report's `sandbox` field: the kernel's layers in force, or "guard only" where none held."""
    if status is None:
        return None
    kernel = status.get("files") or status.get("seccomp")
    return {k: status[k] for k in SANDBOX_FIELDS if k in status} if kernel else "guard only"


SANDBOX_FIELDS = ("landlock_abi", "files", "signals", "network", "processes", "seccomp")


def confined_from(problem: Problem) -> tuple[Path, ...]:
    """What the worker may never read: the checkout (solutions, hidden suites, the grader), the store."""
    from grader.store import default_home

    return (problem.root, Path(__file__).resolve().parents[1], default_home())


def grader_file(problem: Problem, path: Path) -> bool:
    """Is `path` (links followed) one of the grader's own files: a solution, a hidden suite, the grader, the store?

    Graded as a candidate's file, it would be read with the candidate's rights: a link named like a hand-in
    must not turn the reference into someone's submission."""
    real = path.resolve()
    protected = [p.resolve() for p in (*graders_answers(problem), *confined_from(problem)[1:])]
    return any(real == p or p in real.parents for p in protected)


def package_refused(problem: Problem, file: Path) -> str | None:
    """Why the package `file` belongs to cannot be read by the worker (it holds something of ours), else None."""
    package = package_of(file)
    if package is None:
        return None
    checkout, *ours = confined_from(problem)
    return package_refusal(package, checkout, (*ours, *graders_answers(problem)))


def graders_answers(problem: Problem) -> tuple[Path, ...]:
    """The reference solutions and every hidden suite: what the audit hook guards where Landlock is missing."""
    return (problem.root / "solutions", *sorted((problem.root / "problems").glob("*/hidden")))


def warm_up(problem: Problem) -> None:
    """Import what the suite run needs, so the import overlaps the worker's start instead of following it."""
    import pytest  # noqa: F401

    for module in problem.preload:
        importlib.import_module(module)
    if "torch" in problem.requires:
        from grader.sandbox import torch_ops

        sys.modules["torch"].set_num_threads(1)  # the grader's own torch work is small; leave a core to the worker
        torch_ops.warm_up()

    import grader.core.plugin  # noqa: F401
    import grader.kit  # noqa: F401


def _load(problem: Problem, session: WorkerSession) -> str | None:
    loaded = session.load()
    if not loaded.ok:
        return describe_load_error(loaded.raised or {})
    check_functions(problem, loaded.functions)
    return None


def _interrupted_row(signame: str, rows: list[CheckResult]) -> CheckResult:
    """The row that keeps an interrupted grading from ever adding up to a pass, and says why."""
    unfinished = sum(row.status is Status.ERROR and row.message.startswith(NOT_RUN) for row in rows)
    detail = f"; {unfinished} checks did not run" if unfinished else ""
    return CheckResult(
        "the grading ran to the end", "load", Status.ERROR, 0.0,
        f"grading was interrupted: the grader received {signame} and stopped{detail}. An interrupted grading "
        "is never a pass: grade again to get a full scorecard",
    )  # fmt: skip


def _stopped(code: int, trap: interrupts.SignalTrap) -> str | None:
    """Why pytest did not run every check to the end (None: it did). Only OK and TESTS_FAILED are finished runs."""
    import pytest

    if trap.received is not None:
        return f"grading was interrupted ({trap.received} received by the grader)"
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return None
    name = pytest.ExitCode(code).name if code in iter(pytest.ExitCode) else str(code)
    return f"grading was interrupted (pytest stopped with {name})"


def _run_suite(
    problem: Problem, session: WorkerSession, options: GradeOptions, blocked: str | None, trap: interrupts.SignalTrap
) -> tuple[list[CheckResult], GradingPlugin]:
    """The rows, and the plugin that ran them: it holds the speed figure, the picture's data and what the run
    left out on request."""
    import pytest

    plugin = new_plugin(problem, session, options, blocked)
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), hermetic_pytest():
        code = pytest.main(suite_args(problem), plugins=[plugin])
    return suite_rows(plugin, code, trap), plugin


USER_PYTEST_SETTINGS = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@contextlib.contextmanager
def hermetic_pytest() -> Iterator[None]:
    """pytest as `suite_args` configures it, whatever the user's shell and venv hold: a developer's
    PYTEST_ADDOPTS=-x cut a scorecard to its first failing row (the rest "not run"), `--lf` made the reference
    fail as "a bug in the problem's hidden suite", and a plugin installed beside us (pytest-randomly reorders
    tests) would join every grading. The environment is the user's again once the suite has run."""
    saved = {name: os.environ.get(name) for name in (*USER_PYTEST_SETTINGS, "PYTEST_DISABLE_PLUGIN_AUTOLOAD")}
    for name in USER_PYTEST_SETTINGS:
        os.environ.pop(name, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def new_plugin(problem: Problem, session: WorkerSession | None, options: GradeOptions, blocked: str | None) -> GradingPlugin:
    from grader.core.plugin import GradingContext, GradingPlugin

    skipped = () if options.speed else ("speed",)
    return GradingPlugin(GradingContext(problem, session, load_reference(problem), options.seed, blocked, skipped))


def suite_rows(plugin: GradingPlugin, code: int, trap: interrupts.SignalTrap) -> list[CheckResult]:
    """The rows of a suite's run that ended with pytest exit status `code`; a run that did not finish, or a
    suite that could not be collected, can leave no row passing that did not earn it."""
    stopped = _stopped(code, trap)
    rows = plugin.results(stopped)
    problems = plugin.suite_errors or ([] if rows else [f"pytest exited with {code} and collected no checks"])
    if problems:
        detail = "; ".join(problems) + " (a bug in the problem's hidden suite, not in your code)"
        rows.insert(0, CheckResult("hidden suite", "load", Status.ERROR, 0.0, detail))
    return rows


def suite_args(problem: Problem) -> list[str]:
    return [
        str(problem.hidden),
        "--rootdir", str(problem.folder),
        "-c", str(Path(__file__).with_name("hidden.ini")),
        "--import-mode=importlib",
        # What only this problem's suite uses sits beside it in hidden/ (`from groupnorm_checks import ...`);
        # pytest takes the folder off sys.path again when the run ends.
        "-o", f"pythonpath={shlex.quote(str(problem.hidden))}",
        "--capture=sys",
        "--strict-markers",
        # A conftest.py runs inside the grader; no suite has one, so one found beside a suite (planted, or left
        # by anything) is never loaded.
        "--noconftest",
        # Suites fail through the kit's own messages (CheckFailed), not bare asserts, so pytest's assertion
        # rewriting would only recompile the suite on every run.
        "--assert=plain",
        "--tb=no",  # failures are reported through our rows; formatting tracebacks only costs time
        "-q",
        # Plugins a hidden suite has no use for; leaving them out saves ~30 ms of pytest's start-up.
        *[arg for name in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{name}")],
    ]  # fmt: skip
