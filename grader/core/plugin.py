"""The pytest plugin that turns a hidden suite's run into scorecard rows.

pytest runs in the grader's process, once per grading run (`grader.core.runner`); this object is passed
to `pytest.main(plugins=[...])`. It supplies the fixtures suites use (`candidate`, `reference`, `rng`,
`seed`, `worker`, `problem`, `report`, `shared`), orders checks by category, and keeps one row per test:
the worst phase wins, and each outcome exception (`grader.outcomes`) sets the row's status and message.

Rows fail closed: each starts as "not run" and passes only once pytest has reported its setup, its call
and its teardown passed. A run pytest did not finish (an interruption) can leave no row passing that did
not earn it; `results` turns the rows it never reached into error rows.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from grader.catalog import Problem
from grader.core.candidate import Candidate
from grader.core.session import WorkerSession
from grader.model import CATEGORIES, NOT_RUN, CheckResult, Status
from grader.outcomes import CheckOutcome

_SEVERITY = {Status.PASS: 0, Status.SKIP: 1, Status.FAIL: 2, Status.ERROR: 3}


@dataclass
class RowNotes:
    """What a passing check wants to say (a gradient's relative error, the speed figure), and data to draw."""

    text: str = ""
    speed_ratio: float | None = None
    speed_of: str = ""  # what the ratio compares, where it is not the candidate's time against the reference's
    picture: Any = None

    def attach(self, data: Any) -> None:
        """Keep plain, JSON-able data for the problem's picture (problem.toml `picture`), pass or fail."""
        self.picture = data

    def note(self, text: str) -> None:
        self.text = text

    def speed(self, ratio: float, text: str, of: str = "") -> None:
        """The speed row's figure. `of` says what it compares when that is not the candidate's time against the
        reference's (batchnorm_running times the candidate's two backward passes against each other)."""
        self.speed_ratio, self.speed_of, self.text = ratio, of, text


@dataclass
class GradingContext:
    problem: Problem
    session: WorkerSession
    reference: Any
    seed: int
    blocked: str | None = None  # why no check can run (the file did not load); every row is then "not run"
    skipped_categories: tuple[str, ...] = ()  # asked not to run (`--no-speed`)


@dataclass(frozen=True)
class Narrowed:
    """What one file's grading in a batch may leave unrun when its caller asks less than a scorecard: the
    project's mutation tests want a wrong file caught in some categories, one failing row naming its mistake.

    `only`: the categories to run. `until_caught`: once a row of a category has failed and some failing row's
    message matches this regex ("" matches any), that category's other rows are left out; rows still to run
    could only add failures. Leaving rows out never passes a row: what is left out is not on the scorecard.
    """

    only: tuple[str, ...] | None = None
    until_caught: str | None = None

    def leaves_out(self, category: str, finished: list[CheckResult]) -> bool:
        if self.only is not None and category not in self.only:
            return True
        if self.until_caught is None:
            return False
        failed = [row for row in finished if row.status in (Status.FAIL, Status.ERROR)]
        said = any(re.search(self.until_caught, row.message) for row in failed)
        return said and any(row.category == category for row in failed)


_PHASES = frozenset({"setup", "call", "teardown"})


@dataclass
class _Row:
    result: CheckResult  # "not run" until a phase fails or every phase has passed
    notes: RowNotes = field(default_factory=RowNotes)
    finished: bool = False  # the row's outcome is known
    passed: set[str] = field(default_factory=set)  # the phases pytest reported passed


def _row_name(item: pytest.Item) -> str:
    doc = (getattr(item, "obj", None).__doc__ or "").strip().splitlines()
    title = doc[0].strip() if doc else ""
    param = item.callspec.id if hasattr(item, "callspec") else ""
    if title and param:
        return f"{title} · {param}"
    return title or param or item.name


def classify(exc: BaseException) -> tuple[Status, str]:
    if isinstance(exc, CheckOutcome):
        return Status(exc.status), exc.message
    if isinstance(exc, pytest.skip.Exception):
        return Status.SKIP, str(exc.msg)
    if isinstance(exc, AssertionError):
        return Status.FAIL, (str(exc).split("\nassert")[0] or "assertion failed")
    return Status.FAIL, f"the check could not use your result: {type(exc).__name__}: {exc}"


class GradingPlugin:
    def __init__(self, context: GradingContext) -> None:
        self.context = context
        self.rows: dict[str, _Row] = {}
        self.suite_errors: list[str] = []
        self.left_out: set[str] = set()  # categories the suite has but this run leaves out on request
        self._candidate = Candidate(context.session)
        self._shared: dict = {}
        self._narrowed: Narrowed | None = None

    # ------------------------------------------------------------------ configuration
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "category(name): the scorecard category of a check")
        config.addinivalue_line("markers", "cases(attribute): parametrize `case` from a class attribute")

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def candidate(self) -> Iterator[Candidate]:
        yield self._candidate
        self.context.session.end_test()

    @pytest.fixture
    def reference(self) -> Any:
        return self.context.reference

    @pytest.fixture
    def worker(self) -> WorkerSession:
        return self.context.session

    @pytest.fixture
    def shared(self) -> dict:
        """One dict per grading run, for results several rows share (an example's run, a training run).

        Module state would outlive the run: pytest keeps the suite's module, so a second grading in the
        same process would find the first one's results.
        """
        return self._shared

    @pytest.fixture
    def problem(self) -> Problem:
        return self.context.problem

    @pytest.fixture
    def seed(self) -> int:
        return self.context.seed

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """Independent per check, reproducible from the run's seed: `--seed N` replays every case."""
        return np.random.default_rng([self.context.seed, zlib.crc32(request.node.nodeid.encode())])

    @pytest.fixture
    def report(self, request: pytest.FixtureRequest) -> RowNotes:
        return self.rows[request.node.nodeid].notes

    # ------------------------------------------------------------------ collection
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.suite_errors.append(f"{report.nodeid}: {report.longreprtext.strip().splitlines()[-1]}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("category")
            name = marker.args[0] if marker else None
            if name not in CATEGORIES:
                self.suite_errors.append(f"{item.nodeid}: category {name!r} is not one of {', '.join(CATEGORIES[1:])}")
        items.sort(key=lambda it: CATEGORIES.index(self._category(it)))
        for item in [it for it in items if self._category(it) in self.context.skipped_categories]:
            self.left_out.add(self._category(item))  # on request (`--no-speed`): not part of this run's score
            items.remove(item)
        for item in items:
            self.rows[item.nodeid] = _Row(CheckResult(_row_name(item), self._category(item), Status.SKIP, message=NOT_RUN))
        if self.context.blocked is not None:
            self._block_rows()
            items[:] = []

    def attach(self, session: WorkerSession, blocked: str | None, narrowed: Narrowed | None = None) -> None:
        """Grade one file with a suite collected earlier (`grader.core.collected`): its worker, whether its
        file loaded, and what its grading may leave out. Without this, the plugin's context is the one it was
        collected with."""
        self.context.session, self.context.blocked = session, blocked
        self._narrowed = narrowed
        if narrowed is not None and narrowed.only is not None:  # never run, even when the file did not load
            for nodeid, row in list(self.rows.items()):
                if row.result.category not in narrowed.only:
                    self.left_out.add(self.rows.pop(nodeid).result.category)
        self._candidate = Candidate(session)
        if blocked is not None:
            self._block_rows()

    def left_out_now(self, item: pytest.Item) -> bool:
        """Whether the file's `Narrowed` lets `item` go unrun; its row is then dropped from the scorecard."""
        finished = [row.result for row in self.rows.values() if row.finished]
        if self._narrowed is None or not self._narrowed.leaves_out(self._category(item), finished):
            return False
        self.rows.pop(item.nodeid, None)
        return True

    def _block_rows(self) -> None:
        for row in self.rows.values():
            row.result.status, row.result.message = Status.SKIP, f"{NOT_RUN}: the file could not be loaded"
            row.finished = True

    @staticmethod
    def _category(item: pytest.Item) -> str:
        marker = item.get_closest_marker("category")
        return marker.args[0] if marker and marker.args[0] in CATEGORIES else CATEGORIES[-1]

    # ------------------------------------------------------------------ outcomes
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
        """The phase's outcome goes to its row, and pytest gets a plain report in place of its own: pytest's
        formats a traceback for every failing phase, which a row never shows (its message comes from the
        exception), and that formatting was about a twentieth of a grading's time."""
        row = self.rows.get(item.nodeid)
        if row is not None:
            row.result.duration_s += call.duration
        if call.excinfo is None:
            outcome, longrepr = "passed", None
            if row is not None:
                row.passed.add(call.when)
                if row.passed == _PHASES and not row.finished:
                    row.result.status, row.result.message = Status.PASS, row.notes.text
                    row.finished = True
                    self.context.session.warm_reference()  # a no-op without a speed row (`--no-speed`)
        else:
            status, message = classify(call.excinfo.value)
            outcome = "skipped" if status is Status.SKIP else "failed"
            longrepr = (str(item.path), (item.location[1] or 0) + 1, message) if outcome == "skipped" else message
            if row is not None:
                if _SEVERITY[status] > _SEVERITY[row.result.status] or not row.finished:
                    row.result.status, row.result.message = status, message
                row.finished = True
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when, [], call.duration,
                                 call.start, call.stop)

    # ------------------------------------------------------------------ results
    def results(self, stopped: str | None = None) -> list[CheckResult]:
        """Every row. When the run was `stopped` before its end (why, in words), the rows it did not
        finish are errors: their checks may have been about to fail. Otherwise they stay "not run"."""
        for row in self.rows.values():
            if stopped is not None and not row.finished:
                row.result.status, row.result.message = Status.ERROR, f"{NOT_RUN}: {stopped}"
        return [row.result for row in self.rows.values()]

    def speed_figure(self) -> tuple[float | None, str]:
        """The first speed row's ratio and what it compares ("" for the candidate's time against the reference's)."""
        notes = [row.notes for row in self.rows.values() if row.notes.speed_ratio is not None]
        return (notes[0].speed_ratio, notes[0].speed_of) if notes else (None, "")

    def picture_data(self) -> Any:
        attached = [row.notes.picture for row in self.rows.values() if row.notes.picture is not None]
        return attached[-1] if attached else None
