"""Timing the candidate against the reference, inside the worker.

Both implementations run in the same process on the same inputs, interleaved (C R C R ...) after a
warm-up, so drifting machine load hits both alike. The problem size shrinks to fit a time budget, so a
Python-loop solution is measured (and flagged) instead of running into the per-call timeout.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable


def _time_once(clock: Callable[[], float], run: Callable, impl: ModuleType, args: tuple) -> float:
    start = clock()
    run(impl, *args)
    return clock() - start


def run_benchmark(request: dict, candidate: ModuleType, reference: ModuleType, clock: Callable[[], float]) -> dict:
    import numpy as np

    namespace: dict[str, Any] = {}
    exec(request["source"], namespace)  # the hidden suite's own workload code, sent by the grader
    setup, run = namespace["setup"], namespace["run"]
    sizes: list[tuple[int, ...]] = [tuple(s) for s in request["sizes"]]  # largest first
    repeats: int = request["repeats"]
    budget: float = request["budget_s"]
    rng = np.random.default_rng(request["seed"])

    # An exception from the candidate propagates to the worker's handler, which reports it as usual.
    probe_size = sizes[-1]
    probe = _time_once(clock, run, candidate, setup(rng, *probe_size))
    chosen = probe_size
    for size in sizes:
        predicted = probe * (np.prod(size) / np.prod(probe_size)) * (repeats + 1)
        if predicted <= budget:
            chosen = size
            break
    args = setup(rng, *chosen)
    _time_once(clock, run, candidate, args)
    _time_once(clock, run, reference, args)
    cand, ref = [], []
    for _ in range(repeats):
        cand.append(_time_once(clock, run, candidate, args))
        ref.append(_time_once(clock, run, reference, args))
    return {"ok": True, "size": list(chosen), "candidate": cand, "reference": ref, "full_size": list(sizes[0])}

