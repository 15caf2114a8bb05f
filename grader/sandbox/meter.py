"""What the kernel says about a worker process, read from the grader: the CPU time it used, its peak memory.

The speed row's figures come from here and never from the worker: candidate code can patch anything in
its own process (its clocks, tracemalloc, the worker's replies), but not the kernel's accounting of it.

CPU time is the process's CPU clock, read from outside: clock_gettime on MAKE_PROCESS_CPUCLOCK(pid,
CPUCLOCK_SCHED), the scheduler's nanosecond sum over all the process's threads, which Linux lets any
process read. Where that clock is refused, the sum of /proc/<pid>/task/*/schedstat (the same count, in
text, over the threads alive: the worker is single-threaded); where neither exists (macOS, Windows), the
grader's wall clock around each request, which the figure then names, since it counts the time the
machine gave to other programs too.

Peak memory: writing "5" to /proc/<pid>/clear_refs resets the process's peak resident set (VmHWM) to its
resident set now (VmRSS); read after a run, VmHWM minus that baseline is what the run added at its peak.
Without /proc (or without the right to write clear_refs) memory is not measured.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable

CPU_TIME = "CPU time"
WALL_TIME = "wall-clock time"
CPUCLOCK_SCHED = 2


class ProcessGone(Exception):
    """The process ended: its clock can no longer be read."""


def _process_cpu_clock(pid: int) -> Callable[[], float] | None:
    """MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) from the kernel's posix-cpu-timers: ((~pid) << 3) | 2."""
    clock_id = ((~pid) << 3) | CPUCLOCK_SCHED
    try:
        time.clock_gettime_ns(clock_id)
    except (AttributeError, OSError, OverflowError):
        return None

    def read() -> float:
        try:
            return time.clock_gettime_ns(clock_id) / 1e9
        except OSError:
            raise ProcessGone(pid) from None

    return read


def _schedstat(pid: int) -> Callable[[], float] | None:
    """Nanoseconds on a CPU of every thread of the process, from /proc/<pid>/task/<tid>/schedstat."""
    pattern = f"/proc/{pid}/task/*/schedstat"

    def read() -> float:
        total, seen = 0, False
        for path in glob.glob(pattern):
            try:
                with open(path, encoding="ascii") as stat:
                    total += int(stat.read().split()[0])
                    seen = True
            except (OSError, ValueError, IndexError):
                continue  # a thread that ended between the listing and the read
        if not seen:
            raise ProcessGone(pid)
        return total / 1e9

    try:
        read()
    except ProcessGone:
        return None
    return read


class ProcessMeter:
    """The kernel's counts for one process; `clock` names what cpu_s() measures (CPU_TIME or WALL_TIME)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        reader = _process_cpu_clock(pid) or _schedstat(pid)
        self.clock = CPU_TIME if reader else WALL_TIME
        self._read = reader or time.perf_counter

    def cpu_s(self) -> float:
        """Seconds of CPU the process has used so far (or the grader's wall clock, see `clock`)."""
        return self._read()

    def start_peak(self) -> int | None:
        """Reset the process's peak resident set; its resident bytes now, or None where memory is not measured."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")
        except OSError:
            return None
        return self._status_bytes("VmRSS")

    def peak_above(self, baseline: int | None) -> int | None:
        """Bytes the process's resident set rose above `baseline` (start_peak's) at its peak since then."""
        if baseline is None:
            return None
        peak = self._status_bytes("VmHWM")
        return None if peak is None else max(peak - baseline, 0)

    def _status_bytes(self, field: str) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024  # the kernel writes kB
        except (OSError, ValueError, IndexError):
            return None
        return None
