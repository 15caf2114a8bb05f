"""How long the edit-grade loop waits: `grade` wall times against the interpreter-and-imports floor.

Commands run interleaved (A B C A B C ...), so drifting machine load hits all of them alike; medians and
ranges are reported. Run with `make bench` or `python bench/latency.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    print(table(measure(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
