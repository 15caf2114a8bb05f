"""`grade watch`: re-grade a file every time it is saved, and redraw the scorecard in place.

One loop, polling (no new dependency): a change is acted on once the file has stayed unchanged for the
debounce interval (editors often write in several steps), and changes made while a grading runs are picked
up right after it. Each grading is a fresh `grade` process, as pytest cannot cleanly re-import a module it
has already imported in the same process; the next one is started ahead of time and waits, imports done,
for the save (a third of the latency is the interpreter importing NumPy and pytest).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.model import GradeReport

POLL_S = 0.05
DEBOUNCE_S = 0.2


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None  # mid-save (some editors replace the file): wait for it to come back
    return stat.st_mtime_ns, stat.st_size


def saves(path: Path, stop_after: int | None = None) -> Iterator[None]:
    """Yield once at the start and then once per settled change of `path`."""
    yielded = 0
    seen = _stamp(path)
    while stop_after is None or yielded < stop_after:
        yield
        yielded += 1
        if stop_after is not None and yielded >= stop_after:
            return
        while True:
            time.sleep(POLL_S)
            now = _stamp(path)
            if now is not None and now != seen:
                time.sleep(DEBOUNCE_S)
                if _stamp(path) == now:
                    seen = now
                    break


_STANDBY = (
    "import sys\n"
    "import numpy, pytest, grader.cli, grader.core.runner, grader.core.plugin, grader.kit\n"
    "sys.stdin.readline()\n"
    "grader.cli.main(sys.argv[1:])\n"
)


class Standby:
    """A `grade` process with its imports done, waiting for the word to grade."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _STANDBY, *argv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def grade(self) -> GradeReport | str:
        stdout, stderr = self.process.communicate("go\n")
        try:
            return GradeReport.from_json(json.loads(stdout))
        except (json.JSONDecodeError, KeyError):
            return stderr.strip() or f"grading exited with status {self.process.returncode}"

    def cancel(self) -> None:
        self.process.kill()
        self.process.wait()


def watch(
    problem: str, file: Path, seed: int, speed: bool, show: Callable[[GradeReport | str], None], stop_after: int | None = None
) -> None:
    argv = [problem, "--file", str(file), "--seed", str(seed), "--json"] + ([] if speed else ["--no-speed"])
    standby = Standby(argv)
    try:
        for _ in saves(file, stop_after):
            ready, standby = standby, Standby(argv)
            show(ready.grade())
    finally:
        standby.cancel()
