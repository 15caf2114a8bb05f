"""Inputs and results of the speed row's timed runs, as the worker holds them: fresh variants and sketches.

The grader uploads a workload's inputs once per size; before each timed run it asks each worker for a
fresh variant of them (`refresh`: every floating-point array shifted along its first and its last axis,
or scaled and shifted if it has one axis, by amounts the grader drew for that run), so no run sees an
input an earlier one saw and remembering results cannot pay. Shifts along both axes move per-row and
per-column statistics alike, so no normalization can map a fresh input onto an earlier one. After the run
the grader asks for a sketch of each result (`sketch`: the result as a matrix times a random vector drawn
from a seed sent only then), which it compares with the reference worker's sketch of its own result on
the same inputs. Both workers run this same code on the same bytes, so an honest worker's fresh inputs
are bit for bit the reference's; a worker that does anything else only makes its own results disagree.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.random import default_rng  # imported with the worker, not at its first sketch, whose memory is measured

try:  # bound at import, before any candidate code runs
    _malloc_trim = ctypes.CDLL(None).malloc_trim
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None


def float_leaves(value: Any) -> Iterator[np.ndarray]:
    """The floating-point arrays in a structure of tuples, lists and dicts, in the order refresh() visits them."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            yield value
    elif type(value) in (tuple, list):
        for item in value:
            yield from float_leaves(item)
    elif type(value) is dict:
        for item in value.values():
            yield from float_leaves(item)


def refresh(value: Any, factors: list) -> Any:
    """A copy of `value` whose i-th float array (float_leaves order) is changed by factors[i]: (scale, first, last).

    `last` is added along the last axis (a vector, or a scalar for one-axis arrays), `first` along the
    first axis (a vector, or None), and the sum is multiplied by `scale`. Other leaves are shared, not copied.
    """
    remaining = iter(factors)

    def rebuild(item: Any) -> Any:
        if isinstance(item, np.ndarray):
            if item.dtype.kind != "f":
                return item
            scale, first, last = next(remaining)
            fresh = np.add(item, np.asarray(last, dtype=item.dtype))
            if first is not None:
                fresh += np.asarray(first, dtype=item.dtype).reshape((-1,) + (1,) * (item.ndim - 1))
            if scale != 1.0:
                fresh *= item.dtype.type(scale)
            return fresh
        if type(item) in (tuple, list):
            return type(item)(rebuild(x) for x in item)
        if type(item) is dict:
            return {k: rebuild(x) for k, x in item.items()}
        return item

    return rebuild(value)


def trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc), so the pages a measured run touches are its own.

    The workers keep freed memory in the heap (MALLOC_TRIM_THRESHOLD_), so without this a run's peak
    memory would hide in pages that earlier calls left resident.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def sketch(value: Any, seed: int, index: int) -> dict:
    """What the grader compares of one result: its shape, and per row (entry of the first axis) the sum of
    |result - t| weighted by a standard normal vector, where t takes, in each column, the entry of a row drawn
    at random; all drawn from (seed, index), sent only after the run.

    Any entry that differs from the reference's moves its row's number. The absolute value is what makes the
    sketch cost the whole result: a linear sketch (result @ w) of, say, a LayerNorm's output can be worked out
    from a few products with the input without ever computing the output, and a polynomial one from the
    input's powers; which entries fall on which side of t cannot.
    """
    if isinstance(value, (bool, int, float, np.generic, np.ndarray)):
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            rows = array.shape[0] if array.ndim > 1 else 1
            matrix = array.astype(np.float64, copy=False).reshape(rows, array.size // rows if rows else 0)
            rng = default_rng([seed, index])
            w = rng.standard_normal(matrix.shape[1])
            if matrix.size:
                # Operators and the generator's own methods only: the candidate may have patched numpy's
                # functions in this process (rng.integers calls np.prod, np.multiply through the module).
                picked = (rng.random(matrix.shape[1]) * rows).astype(np.intp)
                pivots = matrix[picked, range(matrix.shape[1])]
                matrix = abs(matrix - pivots)
            return {"shape": list(array.shape), "rows": matrix @ w}
    return {"type": type(value).__name__}
