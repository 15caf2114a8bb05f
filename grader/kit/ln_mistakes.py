"""LayerNorm mistakes beyond the generic ones in `mistakes.py`, and `RowNorm`, the layer that names them.

Used by the layernorm_cs231n, layernorm_debug and layernorm_basic suites. The models here come from code
that reaches LayerNorm through BatchNorm (transposing, copying the batch-norm backward): counts taken from
the wrong axis, statistics split between the two axes, a wrong default eps hidden in a parameter dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit.layers import AffineNorm, Inputs

# Defaults people type instead of 1e-5 (0 is already "eps was left out entirely" in mistakes.py).
COMMON_WRONG_EPS = (1e-8, 1e-6, 1e-7, 1e-3, 1e-4, 1e-12)

Models = dict[str, Callable[[], np.ndarray]]


def _affine_params(gamma: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.asarray(gamma, dtype=np.float64).reshape(1, -1),
        np.asarray(beta, dtype=np.float64).reshape(1, -1),
    )


def layer_norm(x: Any, gamma: Any, beta: Any, eps: float) -> np.ndarray:
    """The right LayerNorm forward (per row), in float64, for any eps: the base of the eps mistakes."""
    x = np.asarray(x, dtype=np.float64)
    g, b = _affine_params(gamma, beta)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def row_dx(x: Any, gamma: Any, eps: float, dout: Any, count: float | None = None) -> np.ndarray:
    """LayerNorm's input gradient; `count` replaces D in the two row means (None: the right D)."""
    x = np.asarray(x, dtype=np.float64)
    dxhat = np.asarray(dout, dtype=np.float64) * np.asarray(gamma, dtype=np.float64).reshape(1, -1)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * rstd
    m = float(x.shape[1] if count is None else count)
    return rstd * (dxhat - dxhat.sum(axis=1, keepdims=True) / m - xhat * (dxhat * xhat).sum(axis=1, keepdims=True) / m)


def wrong_default_eps_forward(inputs: Inputs, where: str) -> Models:
    """What the forward gives when the spec's default eps (1e-5) is replaced by a common other value."""
    return {
        f"{where} and your code used eps = {e:g}; the default is 1e-5": (
            lambda e=e: layer_norm(inputs.x, inputs.gamma, inputs.beta, e)
        )
        for e in COMMON_WRONG_EPS
    }


def wrong_default_eps_dx(inputs: Inputs, dout: np.ndarray, where: str) -> Models:
    return {
        f"{where} and your code used eps = {e:g}; the default is 1e-5": (
            lambda e=e: row_dx(inputs.x, inputs.gamma, e, dout)
        )
        for e in COMMON_WRONG_EPS
    }


def forward_mistakes(inputs: Inputs, eps: float) -> Models:
    """Row-normalization mistakes the generic models do not cover."""
    x = np.asarray(inputs.x, dtype=np.float64)
    g, b = _affine_params(inputs.gamma, inputs.beta)

    def split_axes() -> np.ndarray:
        mu = x.mean(axis=1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=0, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    def no_keepdims() -> np.ndarray:
        mu, var = x.mean(axis=1), x.var(axis=1)  # broadcast as rows: only runs when N == D
        return (x - mu) / np.sqrt(var + eps) * g + b

    def whole_array() -> np.ndarray:
        return (x - x.mean()) / np.sqrt(x.var() + eps) * g + b

    return {
        "the mean was taken per row but the variance over axis 0 (across the batch): after a transpose, "
        "check the axis of every statistic": split_axes,
        "the row statistics lost their keepdims, so they broadcast along the features (x - mu pairs row i's "
        "mean with column i)": no_keepdims,
        "the mean and variance were taken over the whole array instead of per row": whole_array,
    }


def dx_mistakes(inputs: Inputs, eps: float, dout: np.ndarray) -> Models:
    n = inputs.x.shape[0]
    g = np.asarray(inputs.gamma, dtype=np.float64).reshape(1, -1)
    return {
        "dx divides the row sums by N (the batch size, BatchNorm's count) where D (the features of a row) "
        "belongs": lambda: row_dx(inputs.x, inputs.gamma, eps, dout, count=n),
        "gamma was pulled out of the row sums, as BatchNorm's closed form does (there gamma is constant along "
        "the summed axis; in LayerNorm it varies along the features): sum dout * gamma, not dout": lambda: g
        * row_dx(inputs.x, np.ones_like(g), eps, dout),
    }


@dataclass(frozen=True)
class RowNorm(AffineNorm):
    """A per-row LayerNorm whose wrong answers are also checked against the models of this module."""

    stat_axis: int = 1

    def forward_diagnoses(self, inputs: Inputs, candidate_default: float | None = None) -> dict:
        found = super().forward_diagnoses(inputs, candidate_default)
        found.update(forward_mistakes(inputs, self.eps(inputs)))
        return found

    def grad_diagnoses(self, inputs: Inputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, dict]:
        found = super().grad_diagnoses(inputs, dout, candidate_default)
        found["dx"].update(dx_mistakes(inputs, self.eps(inputs), dout))
        return found
