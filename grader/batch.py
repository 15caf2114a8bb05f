"""Grading many submissions of one problem at once: course staff, hiring teams, and our own mutation tests.

Each file is graded in its own process, forked from this one after the heavy imports (pytest, the kit,
torch for its track), so a file costs its checks and its worker's start, not a fresh grader. Each fork runs
the ordinary `grade()`; its worker for the candidate's code comes from a zygote (grader.sandbox.zygote), a
clean process with the worker's imports done, so one broken or hanging submission can only use up its own
timeouts and no submission's code shares memory with the grader. At most `jobs` files are graded at a time.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from grader.catalog import Problem
from grader.core.package import package_of
from grader.core.runner import WORKER_ENV, GradeOptions, SuiteRun, grade, grader_file, warm_up, worker_config
from grader.model import GradeReport, Status
from grader.sandbox.zygote import Zygote

if TYPE_CHECKING:  # both import pytest and the kit, which grade_batch imports only once its zygote has started
    from grader.core.collected import CollectedSuite
    from grader.core.plugin import Narrowed

# How the kit's speed rows begin when they flag the code (grader.kit.speed, bn_param_checks).
SPEED_FLAGS = ("not vectorized", "slow", "not faster")

# A grading run bounds itself (every call has a timeout); this only catches a grader process that is
# itself stuck, so it is generous: the worst-case run of a file is about 15 timeouts long.
STUCK_AFTER_TIMEOUTS = 30


@dataclass
class BatchResult:
    path: Path
    report: GradeReport | None = None
    error: str = ""  # why the file has no report (the grading process itself failed)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.report.passed / self.report.total if self.report and self.report.total else 0.0

    @property
    def speed_flag(self) -> str:
        """What the speed row flagged ("not vectorized", "slow", "not faster"), "" if nothing or no speed row."""
        rows = [c for c in self.report.checks if c.category == "speed"] if self.report else []
        return next((flag for row in rows for flag in SPEED_FLAGS if row.message.startswith(flag)), "")

    @property
    def problem(self) -> str:
        """Why the file scored nothing, or where it broke: the grading's own failure, else its first error row
        (a load failure, a timeout, a crash), for the CSV's error column."""
        if self.error or self.report is None:
            return self.error
        errors = [c for c in self.report.checks if c.status is Status.ERROR]
        return f"{errors[0].name}: {errors[0].message}"[:300] if errors else ""


class BatchInputError(ValueError):
    """A path given to `grade batch` is neither a Python file nor a folder holding one for the problem."""


def discover(problem: Problem, paths: Iterable[Path]) -> list[Path]:
    """Files to grade: each file as given; in a folder, its <slug>.py files at any depth (a folder per
    submission, as collected from students), or else the .py files directly inside it (one file each)."""
    found: list[Path] = []
    for path in paths:
        if path.is_symlink():
            raise BatchInputError(f"{path} is a link: hand in the file itself, so the file graded is the one named")
        if path.is_file():
            found.append(path.absolute())
            continue
        if not path.is_dir():
            raise BatchInputError(f"{path} does not exist")
        inside = sorted(path.rglob(f"{problem.slug}.py")) or sorted(path.glob("*.py"))
        if not inside:
            raise BatchInputError(f"{path} holds no {problem.slug}.py and no .py files")
        links = [p for p in inside if p.is_symlink()]
        if links:
            raise BatchInputError(f"{links[0]} is a link: hand in the file itself, so the file graded is the one named")
        found.extend(p.resolve() for p in inside)
    unique = list(dict.fromkeys(found))
    if not unique:
        raise BatchInputError("no files to grade")
    for path in unique:
        if grader_file(problem, path):
            raise BatchInputError(f"{path} is one of the grader's own files (a solution, a hidden suite, the grader)")
    _refuse_shared_packages(unique)
    return unique


def _refuse_shared_packages(files: list[Path]) -> None:
    """A hand-in inside a package is graded with its whole package readable (grader.core.package): a package
    that also holds another hand-in of the batch would let one submission's code read the other."""
    for path in files:
        package = package_of(path)
        others = [other for other in files if other != path and package is not None and package.root in other.parents]
        if others:
            raise BatchInputError(
                f"{path} belongs to the package {package.root} (folders with __init__.py), which also holds {others[0]}: "
                "its code could read that hand-in; give each hand-in a package of its own"
            )


def grade_batch(
    problem: Problem,
    files: list[Path],
    options: GradeOptions,
    jobs: int,
    on_done: Callable[[BatchResult], None] = lambda result: None,
    zygote: Zygote | None = None,
    narrowed: Mapping[Path, Narrowed] | None = None,
) -> list[BatchResult]:
    """Grade every file, `jobs` at a time; results come back in the order of `files`.

    `zygote`: one already serving this problem's worker configuration (`worker_config`), kept open after;
    several batches in one process (the project's tests) then share its imports. `narrowed`: what the
    grading of a file may leave out (the project's mutation tests: `grader.core.plugin.Narrowed`)."""
    # The workers come from a zygote started before anything of the grading is imported here (the kit's
    # formulas must never be in a worker's memory); the graders are forked from this process, after its
    # imports, with single-threaded BLAS and torch (their thread pools do not survive a fork).
    own = zygote is None
    zygote = zygote or Zygote(worker_config(problem, options))
    try:
        os.environ.update(dict(WORKER_ENV))
        from grader.core.collected import CollectedSuite  # imports pytest: after the zygote's start, as warm_up does

        warm_up(problem)  # imported once here, inherited by every grader's fork
        options = dataclasses.replace(options, zygote_fd=zygote.fd)
        # So is the suite: each grading is forked from inside the pytest session that collected it.
        return CollectedSuite(problem, options).collected_then(
            lambda suite: _grade_all(problem, files, options, jobs, on_done, suite, narrowed or {})
        )
    finally:
        if own:
            zygote.close()


def _grade_all(
    problem: Problem, files: list[Path], options: GradeOptions, jobs: int, on_done: Callable[[BatchResult], None],
    suite: CollectedSuite | None, narrowed: Mapping[Path, Narrowed],
) -> list[BatchResult]:
    context = multiprocessing.get_context("fork")
    results = {i: BatchResult(path) for i, path in enumerate(files)}
    pending = list(range(len(files)))
    running: dict[Connection, tuple[int, multiprocessing.Process, float]] = {}
    stuck_after = STUCK_AFTER_TIMEOUTS * options.timeout_s + 30
    while pending or running:
        while pending and len(running) < jobs:
            index = pending.pop(0)
            receive, send = context.Pipe(duplex=False)
            run = functools.partial(suite.run, narrowed=narrowed.get(files[index])) if suite else None
            process = context.Process(target=_grade_one, args=(problem, files[index], options, run, send), daemon=True)
            process.start()
            send.close()
            running[receive] = (index, process, time.monotonic())
        for connection in wait(list(running), timeout=1.0):
            index, process, started = running.pop(connection)
            _collect(results[index], connection, process, started)
            on_done(results[index])
        for connection, (index, process, started) in list(running.items()):
            if time.monotonic() - started > stuck_after:
                process.kill()
                running.pop(connection)
                results[index].error = f"the grading process was stopped after {stuck_after:.0f} s"
                results[index].seconds = time.monotonic() - started
                on_done(results[index])
    return [results[i] for i in range(len(files))]


def _grade_one(problem: Problem, path: Path, options: GradeOptions, suite: SuiteRun | None, send: Connection) -> None:
    try:
        report = grade(problem, path, options, suite)
        send.send_bytes(json.dumps(report.to_json()).encode())
    except BaseException as exc:  # noqa: BLE001 - reported as this file's error, never the batch's
        send.send_bytes(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
    finally:
        send.close()
        os._exit(0)  # skip atexit handlers and buffered output inherited from the parent


def _collect(result: BatchResult, connection: Connection, process: multiprocessing.Process, started: float) -> None:
    try:
        data = json.loads(connection.recv_bytes())
    except (EOFError, OSError, ValueError):
        data = {"error": "the grading process ended without a result"}
    process.join(timeout=5)
    result.seconds = time.monotonic() - started
    if "error" in data:
        result.error = data["error"]
    else:
        result.report = GradeReport.from_json(data)


def leaderboard_rows(results: list[BatchResult]) -> list[BatchResult]:
    """Best first: score; of equal scores, one whose speed row flagged nothing before one it flagged (a loop
    over rows does not rank level with vectorized code), then the faster; then the file name."""

    def key(r: BatchResult) -> tuple:
        ratio = r.report.speed_ratio if r.report and r.report.speed_ratio is not None else float("inf")
        return (-r.score, bool(r.speed_flag), ratio, str(r.path))

    return sorted(results, key=key)


def unused_path(path: Path) -> Path:
    """`path`, or the first of path-2, path-3… that does not exist: a default output never replaces an earlier one."""
    candidate, number = path, 2
    while candidate.exists():
        candidate, number = path.with_stem(f"{path.stem}-{number}"), number + 1
    return candidate


def to_csv(results: list[BatchResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "file", "passed", "total", "score", "speed_ratio", "speed_flag", "seconds", "failing_checks", "error"])
    for rank, r in enumerate(leaderboard_rows(results), start=1):
        report = r.report
        failing = "; ".join(c.name for c in report.checks if c.status.value != "pass") if report else ""
        writer.writerow([
            rank, str(r.path), report.passed if report else 0, report.total if report else 0, f"{r.score:.4f}",
            f"{report.speed_ratio:.3f}" if report and report.speed_ratio is not None else "", r.speed_flag,
            f"{r.seconds:.2f}", failing, r.problem,
        ])  # fmt: skip
    return out.getvalue()


def to_json(problem: Problem, results: list[BatchResult], options: GradeOptions, wall_s: float) -> dict:
    return {
        "schema_version": 1,
        "problem": problem.slug,
        "seed": options.seed,
        "wall_s": round(wall_s, 3),
        "results": [
            {"file": str(r.path), "seconds": round(r.seconds, 3), "error": r.error, "report": r.report.to_json() if r.report else None}
            for r in results
        ],
    }
