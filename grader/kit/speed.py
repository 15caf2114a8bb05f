"""The speed row: a median ratio with its spread, never a pass/fail verdict on a correct solution."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

# Labels by the median ratio candidate/reference; the reference is vectorized, so a large ratio almost
# always means Python loops over rows or elements.
SLOW_RATIO = 3.0
LOOP_RATIO = 10.0


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

    def describe(self) -> str:
        shape = "×".join(map(str, self.size))
        shrunk = "" if self.size == self.full_size else " (shrunk to fit the time budget)"
        text = (
            f"{self.ratio:.2f}× the reference's time ({self.low:.2f}–{self.high:.2f} over {self.runs} runs) at "
            f"{shape}{shrunk}: {self.candidate_s * 1e3:.1f} ms vs {self.reference_s * 1e3:.1f} ms"
        )
        if self.ratio >= LOOP_RATIO:
            return f"not vectorized? {text}"
        if self.ratio >= SLOW_RATIO:
            return f"slow: {text}"
        return text


def measure_speed(
    worker: Any, label: str, source: str, sizes: list[tuple[int, ...]], *, seed: int, repeats: int = 5, budget_s: float = 2.0
) -> SpeedFigure:
    """Time the candidate and the reference in the worker, interleaved, on the largest size that fits."""
    request = {"source": source, "sizes": [list(s) for s in sizes], "repeats": repeats, "budget_s": budget_s, "seed": seed}
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
    )
