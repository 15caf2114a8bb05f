"""Models of the classic normalization mistakes, used to name a wrong answer when it matches one.

Each function computes what a specific wrong implementation returns for the same inputs. They are written
once, for any statistics axis, so LayerNorm (statistics per row) and BatchNorm (per column) share them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _stats(x: np.ndarray, axis: int | tuple, ddof: int = 0, one_pass: bool = False) -> tuple[np.ndarray, np.ndarray]:
    mu = x.mean(axis=axis, keepdims=True)
    if one_pass:
        var = (x * x).mean(axis=axis, keepdims=True) - mu * mu
    else:
        var = x.var(axis=axis, ddof=ddof, keepdims=True)
    return mu, var


def normalize(
    x: np.ndarray,
    axis: int | tuple,
    eps: float,
    *,
    ddof: int = 0,
    eps_outside_sqrt: bool = False,
    one_pass: bool = False,
) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    mu, var = _stats(x, axis, ddof, one_pass)
    denom = np.sqrt(var) + eps if eps_outside_sqrt else np.sqrt(var + eps)
    return (x - mu) / denom


def forward_mistakes(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, axis: int, wrong_axis: int
) -> dict[str, Callable[[], np.ndarray]]:
    g, b = np.asarray(gamma).reshape(-1), np.asarray(beta).reshape(-1)
    shape = [1] * x.ndim
    shape[1] = -1
    g, b = g.reshape(shape), b.reshape(shape)

    def affine(xhat: np.ndarray, scale: np.ndarray = g, shift: np.ndarray = b) -> np.ndarray:
        return xhat * scale + shift

    return {
        "the variance used ddof=1 (unbiased); normalization uses the biased variance (ddof=0)": lambda: affine(
            normalize(x, axis, eps, ddof=1)
        ),
        "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: affine(
            normalize(x, axis, eps, eps_outside_sqrt=True)
        ),
        f"the statistics were taken over axis {wrong_axis} instead of axis {axis}": lambda: affine(
            normalize(x, wrong_axis, eps)
        ),
        "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: affine(
            normalize(x, axis, eps, one_pass=True)
        ),
        "eps was ignored (the eps argument never reached the square root)": lambda: affine(normalize(x, axis, 1e-5)),
        "eps was left out entirely": lambda: affine(normalize(x, axis, 0.0)),
        "gamma and beta were swapped": lambda: affine(normalize(x, axis, eps), b, g),
        "gamma was not applied": lambda: affine(normalize(x, axis, eps), 1.0),
        "beta was not added": lambda: affine(normalize(x, axis, eps), g, 0.0),
    }


def dx_mistakes(
    x: np.ndarray, gamma: np.ndarray, eps: float, dout: np.ndarray, axis: int
) -> dict[str, Callable[[], np.ndarray]]:
    """Wrong input gradients: the paths through the mean and the variance are the ones people drop."""
    x64 = np.asarray(x, dtype=np.float64)
    shape = [1] * x.ndim
    shape[1] = -1
    g = np.asarray(gamma, dtype=np.float64).reshape(shape)
    dout = np.asarray(dout, dtype=np.float64)
    mu, var = _stats(x64, axis)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x64 - mu) * rstd
    dxhat = dout * g

    def mean(a: np.ndarray) -> np.ndarray:
        return a.mean(axis=axis, keepdims=True)

    return {
        "dx is missing the path through the variance (the −x̂·mean(dx̂·x̂) term)": lambda: rstd * (dxhat - mean(dxhat)),
        "dx is missing the path through the mean (the −mean(dx̂) term)": lambda: rstd * (dxhat - xhat * mean(dxhat * xhat)),
        "dx treats the mean and variance as constants (only dx̂/std)": lambda: rstd * dxhat,
        "dx ignores gamma (used dout where dout·gamma belongs)": lambda: rstd * (dout - mean(dout) - xhat * mean(dout * xhat)),
        "dx used the unbiased variance (ddof=1)": lambda: correct_dx(x64, gamma, eps, dout, axis, ddof=1),
        "zero-variance groups were special-cased with std = 1; keep 1/sqrt(var + eps) there too": lambda: np.where(
            var == 0, 1.0, rstd
        )
        * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
    }


def correct_dx(x: np.ndarray, gamma: np.ndarray, eps: float, dout: np.ndarray, axis: int, ddof: int = 0) -> np.ndarray:
    """The right input gradient (for ddof=0), computed for any eps: the base of the eps/ddof mistakes."""
    x = np.asarray(x, dtype=np.float64)
    shape = [1] * x.ndim
    shape[1] = -1
    dxhat = np.asarray(dout, dtype=np.float64) * np.asarray(gamma, dtype=np.float64).reshape(shape)
    mu, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, ddof=ddof, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * rstd
    return rstd * (dxhat - dxhat.mean(axis=axis, keepdims=True) - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True))


def param_grad_mistakes(
    x: np.ndarray, eps: float, dout: np.ndarray, axis: int, reduce_axis: int, shape: tuple
) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    """Wrong dgamma/dbeta: reduced over the wrong axis (when the shapes allow it to go unnoticed)."""
    xhat = normalize(x, axis, eps)
    dout = np.asarray(dout, dtype=np.float64)
    other = 1 - reduce_axis
    out_of_order = "the gradients came back out of order: return (dx, dgamma, dbeta)"
    return {
        "dgamma": {
            f"dgamma was summed over axis {other} instead of axis {reduce_axis}": lambda: (dout * xhat).sum(axis=other).reshape(shape),
            "dgamma used x instead of the normalized x̂": lambda: (dout * x).sum(axis=reduce_axis).reshape(shape),
            f"this is dbeta: {out_of_order}": lambda: dout.sum(axis=reduce_axis).reshape(shape),
        },
        "dbeta": {
            f"dbeta was summed over axis {other} instead of axis {reduce_axis}": lambda: dout.sum(axis=other).reshape(shape),
            "dbeta was averaged instead of summed": lambda: dout.mean(axis=reduce_axis).reshape(shape),
            f"this is dgamma: {out_of_order}": lambda: (dout * xhat).sum(axis=reduce_axis).reshape(shape),
        },
    }
