"""A signal to the grader ends its grading run as *interrupted*: reported, and never a pass.

SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run where it is, as a KeyboardInterrupt (pytest ends its
session on one), and every check that had not finished becomes an error row. The signal may come from
the user, from the system, or — where the kernel sandbox cannot scope signals — from the candidate's own
code (`os.kill(os.getppid(), signal.SIGINT)`, which used to leave every check not yet run as "pass").
Whoever sent it, a grading that did not finish is not a pass, so the trap records the signal itself
rather than trusting that the exception it raises reaches the end: code in between could swallow it.
The command then exits with 128 + the signal's number, as a shell reports a process the signal ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

TRAPPED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by a trapped signal."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


def exit_status(signame: str) -> int:
    """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + signal.Signals[signame].value


class SignalTrap:
    """Which trapped signal arrived first, if any; only that first one raises."""

    def __init__(self) -> None:
        self.received: str | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum).name
            raise Interrupted(self.received)
        # A second signal only confirms the first: raising again could cut short the worker's cleanup.


@contextlib.contextmanager
def trapped() -> Iterator[SignalTrap]:
    """Trap SIGINT, SIGTERM and SIGHUP for the block, then put the previous handlers back.

    Only the main thread can install handlers; elsewhere the block runs with the process's own.
    """
    trap = SignalTrap()
    if threading.current_thread() is not threading.main_thread():
        yield trap
        return
    previous = {signum: signal.signal(signum, trap._handle) for signum in TRAPPED}
    try:
        yield trap
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
