"""Timing the candidate against the reference, inside the worker.

Both implementations run in the same process on the same inputs, interleaved (C R C R ...) after a
warm-up, so drifting machine load hits both alike. The problem size shrinks to fit a time budget, so a
Python-loop solution is measured (and flagged) instead of running into the per-call timeout. Two extra
shapes, tall-and-narrow and short-and-wide, expose loops over rows or columns: there the per-iteration
cost of a Python loop dominates, while a vectorized solution barely notices the shape.
Peak memory of one run of each is taken with tracemalloc (NumPy reports its buffers to it), outside the
timed runs, since tracing slows allocation down.
"""

from __future__ import annotations

import tracemalloc
from types import ModuleType
from typing import Any, Callable

# Bound before any candidate code runs, so patching the tracemalloc module cannot fake the figures.
_trace_start, _trace_peak, _trace_stop = tracemalloc.start, tracemalloc.get_traced_memory, tracemalloc.stop


def _time_once(clock: Callable[[], float], run: Callable, impl: ModuleType, args: tuple) -> float:
    start = clock()
    run(impl, *args)
    return clock() - start


def _peak_bytes(run: Callable, impl: ModuleType, args: tuple) -> int:
    _trace_start()
    try:
        run(impl, *args)
        return _trace_peak()[1]
    finally:
        _trace_stop()


def _best_of(clock: Callable[[], float], run: Callable, impl: ModuleType, args: tuple, times: int) -> float:
    return min(_time_once(clock, run, impl, args) for _ in range(times))


def _largest_within_budget(
    clock: Callable[[], float], run: Callable, impl: ModuleType, setup: Callable, rng: Any, sizes: list, per_run: float
) -> tuple[int, ...]:
    """Time the two smallest sizes and fit time = a + b * elements: a loop over columns, whose cost does
    not grow with the number of rows, is then not shrunk for nothing."""
    import numpy as np

    small, next_up = sizes[-1], sizes[-2] if len(sizes) > 1 else sizes[-1]
    t_small = _time_once(clock, run, impl, setup(rng, *small))
    t_next = _time_once(clock, run, impl, setup(rng, *next_up))
    n_small, n_next = float(np.prod(small)), float(np.prod(next_up))
    slope = max((t_next - t_small) / (n_next - n_small), 0.0) if n_next > n_small else t_small / n_small
    intercept = max(t_next - slope * n_next, 0.0)
    for size in sizes:
        if intercept + slope * float(np.prod(size)) <= per_run:
            return size
    return small


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
    chosen = _largest_within_budget(clock, run, candidate, setup, rng, sizes, budget / (repeats + 1))
    args = setup(rng, *chosen)
    _time_once(clock, run, candidate, args)
    _time_once(clock, run, reference, args)
    cand, ref = [], []
    for _ in range(repeats):
        cand.append(_time_once(clock, run, candidate, args))
        ref.append(_time_once(clock, run, reference, args))
    memory = {"candidate": _peak_bytes(run, candidate, args), "reference": _peak_bytes(run, reference, args)}

    shapes = []
    for shape in request.get("shape_probes", ()):
        shape_args = setup(rng, *shape)
        reference_s = _best_of(clock, run, reference, shape_args, 3)
        # Best of two: a single scheduler pause must not make a vectorized candidate look like a loop, and
        # a loop-bound candidate costs two runs, not more.
        candidate_s = _best_of(clock, run, candidate, shape_args, 2)
        shapes.append({"size": list(shape), "candidate": candidate_s, "reference": reference_s})
    return {
        "ok": True,
        "size": list(chosen),
        "full_size": list(sizes[0]),
        "candidate": cand,
        "reference": ref,
        "memory": memory,
        "shapes": shapes,
    }
