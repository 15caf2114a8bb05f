"""A hidden suite collected once and run by many gradings: `grade batch` forks each file's grading from inside
the pytest session that collected the suite.

A grading that starts pytest afresh pays for its configuration, its plugins and the suite's collection before
the first check: about a tenth of grading a file of the mutation corpus. Forked after collection, each file's
grading runs the collected items with its own worker, in a process of its own, exactly as `grade()` runs
them: the same plugin, the same phases of each check, the same rows; only the start is shared. Nothing of a
candidate exists in the parent: it collects the suite before any worker is started.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable
from typing import TypeVar

import pytest

from grader.catalog import Problem
from grader.core import interrupts
from grader.core.plugin import GradingPlugin, Narrowed
from grader.core.runner import GradeOptions, hermetic_pytest, new_plugin, suite_args, suite_rows
from grader.core.session import WorkerSession
from grader.model import CheckResult

T = TypeVar("T")


class CollectedSuite:
    """The items of one problem's suite, collected in this process; `run` is a `runner.SuiteRun` for a
    grading forked from inside `collected_then`'s body."""

    def __init__(self, problem: Problem, options: GradeOptions) -> None:
        self.plugin = new_plugin(problem, None, options, blocked=None)
        self._session: pytest.Session | None = None

    def collected_then(self, body: Callable[[CollectedSuite | None], T]) -> T:
        """Collect the suite, then call `body` with this suite from inside pytest's session (where the
        gradings fork), or with None when pytest ended before its run loop (it could not even collect)."""
        loop = _RunLoop(self, body, (sys.stdout, sys.stderr))
        with interrupts.trapped() as trap:
            quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
            with quiet[0], quiet[1], hermetic_pytest():
                pytest.main(suite_args(self.plugin.context.problem), plugins=[self.plugin, loop])
            if trap.received is not None and loop.raised is None:  # pytest ends its session on the signal
                raise interrupts.Interrupted(trap.received)
        if loop.raised is not None:
            raise loop.raised
        if not loop.ran:
            return body(None)
        return loop.result

    def run(
        self, problem: Problem, session: WorkerSession, options: GradeOptions, blocked: str | None, trap: interrupts.SignalTrap,
        narrowed: Narrowed | None = None,
    ) -> tuple[list[CheckResult], GradingPlugin]:
        """Run every collected check for the file `session` loaded, as pytest's own run loop would, but those
        `narrowed` leaves out."""
        self.plugin.attach(session, blocked, narrowed)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = self._run_items([] if blocked is not None else list(self._session.items))
        return suite_rows(self.plugin, code, trap), self.plugin

    def _run_items(self, items: list[pytest.Item]) -> int:
        """pytest's exit status for running `items` (`_pytest.main.pytest_runtestloop`, `wrap_session`)."""
        session = self._session
        if session.testsfailed:  # collection errors: pytest stops before the first check
            return pytest.ExitCode.INTERRUPTED
        try:
            for i, item in enumerate(items):
                if self.plugin.left_out_now(item):
                    continue
                session._setupstate.teardown_exact(item)  # what the item before set up for one then left out
                nextitem = items[i + 1] if i + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        except (KeyboardInterrupt, pytest.exit.Exception):
            return pytest.ExitCode.INTERRUPTED
        except Exception:  # noqa: BLE001 - pytest's session ends so on an error of its own
            return pytest.ExitCode.INTERNAL_ERROR
        finally:
            with contextlib.suppress(Exception):
                session._setupstate.teardown_exact(None)  # what pytest's session end tears down
        return pytest.ExitCode.TESTS_FAILED if session.testsfailed else pytest.ExitCode.OK


class _RunLoop:
    """Takes the place of pytest's run loop: calls the body once, with the standard streams of before the
    session (the batch's progress display), and keeps what it returned or raised for after the session."""

    def __init__(self, suite: CollectedSuite, body: Callable[[CollectedSuite], object], streams: tuple) -> None:
        self.suite, self.body, self.streams = suite, body, streams
        self.ran = False
        self.result: object = None
        self.raised: BaseException | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.suite._session, self.ran = session, True
        for item in session.items:
            item.location  # noqa: B018 - computed once here, not in every fork (each report needs it)
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.streams
        try:
            self.result = self.body(self.suite)
        except BaseException as exc:  # noqa: BLE001 - raised again once pytest's session has ended
            self.raised = exc
        finally:
            sys.stdout, sys.stderr = streams
        return True
