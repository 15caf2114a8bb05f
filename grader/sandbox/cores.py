"""Which core each worker runs on, set from the grader for the speed row.

On a virtual machine the cores are not alike from one moment to the next (their host threads share
physical cores with other machines), so two workers timed on two different cores can differ by a third
for no reason of their own. Timed one after the other, both sides therefore run on one core; timed side
by side (the small probes), each keeps its own core throughout, so that what differs between the cores
is the same factor on every probe and cancels out of the probes' comparison. Workers cannot change this
themselves (the sandbox refuses them sched_setaffinity). Where the system has no affinity calls, or the
grader has one core, nothing is pinned.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def cores() -> list[int]:
    """The cores this process may run on (one, where the system cannot say)."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]


@contextlib.contextmanager
def pinned(placement: dict[int, int]) -> Iterator[None]:
    """Keep each process (pid) on its core while the block runs, then let it go where it was allowed before."""
    before: dict[int, set[int]] = {}
    try:
        for pid, core in placement.items():
            with contextlib.suppress(OSError, AttributeError):
                before[pid] = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, {core})
        yield
    finally:
        for pid, allowed in before.items():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, allowed)
