"""How long the edit-grade loop waits: `grade` wall times against the interpreter-and-imports floor, and
`grade watch`'s time from a save to the next scorecard.

Commands run interleaved (A B C A B C ...), so drifting machine load hits all of them alike; medians and
ranges are reported. Run with `make bench` or `python bench/latency.py [--runs N]`. The watch figure is a
measurement, not a test: tests/test_watch.py checks that a save is graded again, not how soon.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c 'import numpy, rich, click, pytest'": [sys.executable, "-c", "import numpy, rich, click, pytest"],
    "grade layernorm --reference --json": [sys.executable, "-m", "grader", "layernorm", "--reference", "--json", "--seed", "1"],
    "grade batchnorm --reference --json": [sys.executable, "-m", "grader", "batchnorm", "--reference", "--json", "--seed", "1"],
    "grade --help": [sys.executable, "-m", "grader", "--help"],
    "grade list": [sys.executable, "-m", "grader", "list"],
}


def measure(runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - started)
    return times


def table(times: dict[str, list[float]]) -> str:
    floor = statistics.median(times[next(iter(times))])
    lines = ["| command | median | range | × imports floor |", "|---|---|---|---|"]
    for name, values in times.items():
        median = statistics.median(values)
        lines.append(f"| `{name}` | {median:.2f} s | {min(values):.2f}–{max(values):.2f} s | {median / floor:.2f} |")
    return "\n".join(lines)


WRONG_VARIANCE = ("var = np.einsum", "var = 1.1 * np.einsum")  # an edit of solutions/layernorm.py: 17 of 39


def watch_latency(saves: int) -> list[float]:
    """Seconds from each save to the scorecard it brings, in one `grade watch layernorm --seed 3` session;
    the saves alternate between the reference and a wrong variance, a second after the scorecard before."""
    right = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")
    versions = [right, right.replace(*WRONG_VARIANCE)]
    with tempfile.TemporaryDirectory(prefix="normkata-bench-") as scratch:
        path = Path(scratch) / "layernorm.py"
        path.write_text(right, encoding="utf-8")
        argv = [sys.executable, "-m", "grader", "watch", "layernorm", "--file", str(path), "--seed", "3"]
        watch = subprocess.Popen([*argv, "--runs", str(saves + 1)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            _next_scorecard(watch)
            latencies = []
            for i in range(saves):
                time.sleep(1.0)
                saved = time.perf_counter()
                path.write_text(versions[(i + 1) % 2], encoding="utf-8")
                _next_scorecard(watch)
                latencies.append(time.perf_counter() - saved)
            return latencies
        finally:
            watch.kill()
            watch.wait()


def _next_scorecard(watch: subprocess.Popen) -> None:
    """Reads the watch's output up to the end of its next scorecard (the line with the score)."""
    for line in watch.stdout:
        if b"Score " in line:
            return
    raise RuntimeError("grade watch ended before its scorecard")


def watch_line(latencies: list[float]) -> str:
    return (
        f"`grade watch layernorm`, save to scorecard ({len(latencies)} saves): median {statistics.median(latencies):.2f} s, "
        f"range {min(latencies):.2f}–{max(latencies):.2f} s, load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    print(table(measure(runs)))
    print(watch_line(watch_latency(runs)))


if __name__ == "__main__":
    main()
