"""`make bench`: every performance figure the docs quote (docs/performance.md), measured again and written to docs/benchmarks.md.

1. kernels: forward + backward of each reference against torch CPU and the memory-bandwidth floor;
2. the speed row's honesty: the reference graded against itself, five times per problem;
3. latency of the edit-grade loop and of `grade watch` (bench/latency.py).
"""

from __future__ import annotations

import os

# Before NumPy is imported: one OpenBLAS thread for NumPy, and malloc keeping large blocks (as the grader's
# worker does). OMP_NUM_THREADS stays unset: torch reads it at import, and its default run uses every core.
os.environ.update(
    OPENBLAS_NUM_THREADS="1", MALLOC_MMAP_THRESHOLD_="4294967296", MALLOC_TRIM_THRESHOLD_="17179869184"
)

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import kernels  # noqa: E402
import latency  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SELF_RUNS = 5


def self_ratios(slug: str) -> list[float]:
    ratios = []
    for seed in range(SELF_RUNS):
        out = subprocess.run(
            [sys.executable, "-m", "grader", slug, "--reference", "--json", "--seed", str(seed)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        ratios.append(json.loads(out.stdout)["speed_ratio"])
    return ratios


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, NumPy {np.__version__}, "
        f"torch {torch_version}; {time.strftime('%Y-%m-%d')}"
    )


def main() -> None:
    bandwidth = kernels.copy_bandwidth()
    print(f"copy bandwidth {bandwidth / 1e9:.1f} GB/s", flush=True)
    kernel_table = kernels.table(kernels.measure(kernels.available(), bandwidth))
    print(kernel_table, flush=True)
    ratio_lines = ["| problem | speed ratio, reference vs itself, 5 runs | within 1.00 ± 0.15 |", "|---|---|---|"]
    for slug in [k.slug for k in kernels.available()]:
        ratios = self_ratios(slug)
        inside = sum(abs(r - 1) <= 0.15 for r in ratios)
        ratio_lines.append(
            f"| {slug} | {', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f}) | {inside} of {len(ratios)} |"
        )
    print("\n".join(ratio_lines), flush=True)
    latency_table = latency.table(latency.measure(9))
    print(latency_table)
    watch = latency.watch_line(latency.watch_latency(9))
    print(watch)
    doc = f"""# Benchmarks

Written by `make bench` (bench/run.py). Machine: {machine()}.
Medians; this machine is a noisy shared VM, so compare ratios from one run, not absolute times across runs.

## Forward + backward of the reference solutions

NumPy with one BLAS thread and glibc malloc keeping large blocks (the grader's worker settings). torch
CPU timed with 1 thread (the same footing) and with its default thread count. Floor: {kernels.ARRAYS_MOVED}
arrays of the input's size moved at the measured copy bandwidth of {bandwidth / 1e9:.1f} GB/s (read + write).

{kernel_table}

## The speed row is honest

The reference graded against itself (`grade SLUG --reference --json`, seeds 0–4):

{chr(10).join(ratio_lines)}

## Latency of the edit-grade loop

Interleaved runs, 9 of each:

{latency_table}

{watch}
"""
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text(doc, encoding="utf-8")
    print("\nwritten to docs/benchmarks.md")


if __name__ == "__main__":
    main()
