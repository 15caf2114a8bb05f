"""Why a check did not pass, as exceptions a hidden suite's test can raise (or let propagate).

The pytest plugin turns each into a scorecard row: its `status` decides the row's mark and its text is the
row's detail. Plain AssertionErrors from a suite's own asserts count as "fail" too.
"""

from __future__ import annotations


class CheckOutcome(Exception):
    """Base of every outcome that carries its own status and teaching message."""

    status = "fail"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CheckFailed(CheckOutcome, AssertionError):
    """The candidate's code ran and returned something wrong."""


class CandidateRaised(CheckOutcome):
    """The candidate's function raised an exception (NotImplementedError included)."""

    def __init__(self, message: str, *, not_implemented: bool = False) -> None:
        super().__init__(message)
        self.not_implemented = not_implemented


class CandidateCrashed(CheckOutcome):
    """The worker died, hung past the timeout or broke the protocol while running candidate code."""

    status = "error"


class NotRun(CheckOutcome):
    """Skipped because an earlier failure (a hang, a crash, a file that does not load) makes it moot."""

    status = "skip"


class MeasurementError(CheckOutcome):
    """A figure could not be measured, or came out as no figure at all (NaN, infinite, absurd): never a pass."""

    status = "error"
