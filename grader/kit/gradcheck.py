"""Numerical gradient checks: the candidate's backward against central differences of its own forward.

The perturbed forward evaluations run in the worker as one streamed batch (see `WorkerSession.batch`),
so a 10x20 check costs one request instead of hundreds of round trips; the differences, sums and the
comparison are computed here, in the grader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.kit.compare import describe, expect_array, rel_error
from grader.outcomes import CheckFailed

STEP = 1e-5


def numerical_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = STEP) -> np.ndarray:
    """d sum(f(x) * dout) / dx by central differences, in process (for trusted code and the project's tests)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.asarray(f(x))
        flat[i] = old - h
        minus = np.asarray(f(x))
        flat[i] = old
        grad.reshape(-1)[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def remote_numerical_gradient(
    forward: Any, args: tuple, kwargs: dict, position: int, dout: np.ndarray, h: float = STEP
) -> np.ndarray:
    """Like `numerical_gradient`, for the candidate's forward (a remote function) and its `position`-th argument.

    The forward's first return value is taken as its output.
    """
    size = np.asarray(args[position]).size
    perturb = [(position, i, sign * h) for i in range(size) for sign in (1.0, -1.0)]
    outputs = forward.batch(args, kwargs, perturb, select=0)
    grad = np.empty(size)
    for i in range(size):
        plus = expect_array(outputs[2 * i], "forward output", shape=dout.shape)
        minus = expect_array(outputs[2 * i + 1], "forward output", shape=dout.shape)
        grad[i] = np.sum((plus.astype(np.float64) - minus.astype(np.float64)) * dout) / (2 * h)
    return grad.reshape(np.shape(args[position]))


def assert_gradient(analytic: Any, numeric: np.ndarray, what: str, threshold: float) -> float:
    """The candidate's gradient must agree with the numerical one to `threshold` in CS231n's rel_error."""
    if not isinstance(analytic, np.ndarray):
        raise CheckFailed(f"{what}: expected a NumPy array, got {describe(analytic)}")
    analytic = expect_array(analytic, what, shape=numeric.shape)
    if not np.all(np.isfinite(analytic)):
        raise CheckFailed(f"{what}: contains NaN or inf")
    if not np.all(np.isfinite(numeric)):
        # NaN compares false with everything: left in, it would make any backward "agree".
        raise CheckFailed(
            f"{what}: central differences of your forward are NaN or inf at {int(np.sum(~np.isfinite(numeric)))} of "
            f"{numeric.size} entries: the forward gives non-finite output near this input, so there is nothing to "
            "check your backward against (the forward is wrong)"
        )
    if not np.any(numeric):
        # A forward that ignores this input makes any zero backward "agree": a check that cannot fail.
        raise CheckFailed(
            f"{what}: central differences of your forward are zero everywhere: its output does not change when "
            "this input does, so there is no gradient to check your backward against (the forward is wrong)"
        )
    err = rel_error(analytic, numeric)
    if not err <= threshold:  # also fails a NaN error, which `err > threshold` would let through
        worst = np.unravel_index(
            int(np.argmax(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))),
            numeric.shape,
        )
        raise CheckFailed(
            f"{what}: relative error {err:.2e} against the numerical gradient exceeds {threshold:.0e}; worst at "
            f"{tuple(int(i) for i in worst)}: backward gave {float(analytic[worst]):.6g}, central differences "
            f"of your forward give {float(numeric[worst]):.6g}"
        )
    return err
