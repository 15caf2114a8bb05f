"""The speed row: a median ratio with its spread and peak memory, never a pass/fail verdict.

Besides the main size, the workload is timed on a tall-and-narrow and a short-and-wide input: a Python
loop over rows (or columns) costs per iteration, so there it shows as a large ratio even when the main
size, with few long rows, hides it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

# The reference is vectorized: ten times its time on any shape almost always means a Python loop.
LOOP_RATIO = 10.0
SLOW_RATIO = 3.0
SHAPE_PROBES = ((4096, 16), (16, 4096))  # (rows, features): many short rows, few long ones


@dataclass(frozen=True)
class ShapeProbe:
    size: tuple[int, ...]
    ratio: float

    @property
    def suspect(self) -> str:
        return "a loop over rows?" if self.size[0] > self.size[-1] else "a loop over columns?"


@dataclass(frozen=True)
class SpeedFigure:
    ratio: float
    low: float
    high: float
    size: tuple[int, ...]
    full_size: tuple[int, ...]
    runs: int
    candidate_s: float
    reference_s: float
    candidate_peak: int = 0
    reference_peak: int = 0
    shapes: tuple[ShapeProbe, ...] = field(default_factory=tuple)

    @property
    def loops(self) -> list[ShapeProbe]:
        return [s for s in self.shapes if s.ratio >= LOOP_RATIO]

    def describe(self) -> str:
        shape = "×".join(map(str, self.size))
        shrunk = "" if self.size == self.full_size else " (shrunk to fit the time budget)"
        text = (
            f"{self.ratio:.2f}× the reference's time ({self.low:.2f}–{self.high:.2f} over {self.runs} runs) at "
            f"{shape}{shrunk}: {self.candidate_s * 1e3:.1f} ms vs {self.reference_s * 1e3:.1f} ms; peak memory "
            f"{self.candidate_peak / 2**20:.1f} MiB vs {self.reference_peak / 2**20:.1f} MiB"
        )
        flags = [f"{p.ratio:.0f}× the reference at {'×'.join(map(str, p.size))} ({p.suspect})" for p in self.loops]
        if flags or self.ratio >= LOOP_RATIO:
            return "not vectorized: " + "; ".join(flags or [f"{self.ratio:.0f}× the reference"]) + f". {text}"
        if self.ratio >= SLOW_RATIO:
            return f"slow: {text}"
        return text


def measure_speed(
    worker: Any, label: str, source: str, sizes: list[tuple[int, ...]], *, seed: int, repeats: int = 5, budget_s: float = 2.0
) -> SpeedFigure:
    """Time the candidate and the reference in the worker, interleaved, on the largest size that fits."""
    request = {
        "source": source,
        "sizes": [list(s) for s in sizes],
        "repeats": repeats,
        "budget_s": budget_s,
        "seed": seed,
        "shape_probes": [list(s) for s in SHAPE_PROBES],
    }
    reply = worker.bench(label, request, timeout=worker.timeout * 3 + budget_s * 4 + 10.0)
    cand = [float(t) for t in reply["candidate"]]
    ref = [max(float(t), 1e-9) for t in reply["reference"]]
    ratios = [c / r for c, r in zip(cand, ref)]
    return SpeedFigure(
        ratio=statistics.median(ratios),
        low=min(ratios),
        high=max(ratios),
        size=tuple(reply["size"]),
        full_size=tuple(reply["full_size"]),
        runs=len(ratios),
        candidate_s=statistics.median(cand),
        reference_s=statistics.median(ref),
        candidate_peak=int(reply["memory"]["candidate"]),
        reference_peak=int(reply["memory"]["reference"]),
        shapes=tuple(
            ShapeProbe(tuple(s["size"]), float(s["candidate"]) / max(float(s["reference"]), 1e-9)) for s in reply["shapes"]
        ),
    )
