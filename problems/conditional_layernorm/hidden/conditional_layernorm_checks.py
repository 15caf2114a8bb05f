"""Inputs, calls and mistake models for conditional_layernorm.

y = (c @ W_gamma + b_gamma) * x_hat + (c @ W_beta + b_beta), x_hat the row-wise LayerNorm of x: the same
normalization as LayerNorm with a gamma and a beta per row, so the input-gradient models are the row-wise
ones of `grader.kit.ln_module` with the (N, D) gamma as the scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit import mistakes
from grader.kit.ln_module import SPEC_EPS, SpecEps, draw_rows, row_stats, rowwise_dx, rowwise_dx_mistakes
from grader.kit.layers import unpack

FORWARD = "conditional_layernorm_forward"
BACKWARD = "conditional_layernorm_backward"
PARAMS = ("x", "c", "W_gamma", "b_gamma", "W_beta", "b_beta")
GRADS = ("dx", "dc", "dW_gamma", "db_gamma", "dW_beta", "db_beta")
OUTPUTS = ("y", "cache")


@dataclass(frozen=True)
class CondCase(SpecEps):
    name: str
    n: int
    d: int
    k: int
    data: str = "normal"  # statistics of each row of x: normal | tiny_var | offset | constant
    dtype: str = "float64"
    eps: float | None = None  # None: not passed, so the function's default applies
    condition: str = "normal"  # normal | onehot (one class per row)
    init: str = "random"  # random | identity (W_gamma = 0, b_gamma = 1, W_beta = 0, b_beta = 0)

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype != "float64" else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None else []
        return f"{self.name}: N={self.n}, D={self.d}, K={self.k}" + (f", {', '.join(extras)}" if extras else "")

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7


@dataclass
class CondInputs:
    case: CondCase
    x: np.ndarray
    c: np.ndarray
    W_gamma: np.ndarray
    b_gamma: np.ndarray
    W_beta: np.ndarray
    b_beta: np.ndarray
    dy: np.ndarray

    @property
    def args(self) -> tuple:
        return tuple(getattr(self, p) for p in PARAMS)

    @property
    def kwargs(self) -> dict:
        return {} if self.case.eps is None else {"eps": self.case.eps}

    def copied_args(self) -> tuple:
        return tuple(a.copy() for a in self.args)


def make_cond_inputs(rng: np.random.Generator, case: CondCase) -> CondInputs:
    n, d, k = case.n, case.d, case.k
    x = draw_rows(rng, case.data, n, d)
    if case.condition == "onehot":
        c = np.eye(k)[rng.integers(0, k, n)]
    else:
        c = rng.standard_normal((n, k))
    if case.init == "identity":
        W_gamma, b_gamma, W_beta, b_beta = np.zeros((k, d)), np.ones(d), np.zeros((k, d)), np.zeros(d)
    else:
        W_gamma = rng.normal(0.0, 0.5, (k, d))
        b_gamma = rng.normal(1.0, 0.3, d)
        W_beta = rng.normal(0.0, 0.5, (k, d))
        b_beta = rng.normal(0.0, 0.5, d)
    dy = rng.standard_normal((n, d))
    arrays = [a.astype(case.dtype) for a in (x, c, W_gamma, b_gamma, W_beta, b_beta, dy)]
    return CondInputs(case, *arrays)


def call_forward(impl: Any, inputs: CondInputs, args: tuple | None = None) -> tuple:
    args = inputs.args if args is None else args
    return unpack(getattr(impl, FORWARD)(*args, **inputs.kwargs), OUTPUTS, FORWARD)


def call_backward(impl: Any, dy: np.ndarray, cache: Any) -> tuple:
    return unpack(getattr(impl, BACKWARD)(dy, cache), GRADS, BACKWARD)


def reference_results(reference: Any, inputs: CondInputs) -> tuple[np.ndarray, tuple]:
    y, cache = call_forward(reference, inputs, inputs.copied_args())
    return y, call_backward(reference, inputs.dy.copy(), cache)


# ====================================================================== mistake models


def _f64(inputs: CondInputs) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=np.float64) for a in (*inputs.args, inputs.dy))


def cond_forward_mistakes(inputs: CondInputs, candidate_default: float | None = None) -> dict[str, Callable[[], np.ndarray]]:
    x, c, Wg, bg, Wb, bb, _ = _f64(inputs)
    eps = inputs.case.eps_value
    gamma, beta = c @ Wg + bg, c @ Wb + bb

    def xhat(axis: int = 1, value: float = eps, **kw: Any) -> np.ndarray:
        return mistakes.normalize(x, axis, value, **kw)

    found: dict[str, Callable[[], np.ndarray]] = {}
    if inputs.case.eps is None and candidate_default is not None:
        found[f"your eps defaults to {candidate_default:g}; the spec's default is {SPEC_EPS:g}"] = lambda: (
            gamma * xhat(value=candidate_default) + beta
        )
    found.update(
        {
            "the variance used ddof=1 (unbiased); normalization uses the biased variance (ddof=0)": lambda: gamma
            * xhat(ddof=1)
            + beta,
            "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: gamma
            * xhat(eps_outside_sqrt=True)
            + beta,
            "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: gamma
            * xhat(one_pass=True)
            + beta,
            "eps was ignored (the eps argument never reached the square root)": lambda: gamma * xhat(value=SPEC_EPS) + beta,
            "eps was left out entirely": lambda: gamma * xhat(value=0.0) + beta,
            "the statistics were taken over axis 0 (the batch) instead of axis 1": lambda: gamma * xhat(axis=0) + beta,
            "b_gamma was left out: gamma = c @ W_gamma + b_gamma": lambda: (c @ Wg) * xhat() + beta,
            "b_beta was left out: beta = c @ W_beta + b_beta": lambda: gamma * xhat() + c @ Wb,
            "gamma got an extra 1 (1 + c @ W_gamma + b_gamma); the spec's gamma is c @ W_gamma + b_gamma": lambda: (1.0 + gamma)
            * xhat()
            + beta,
            "W_gamma and W_beta were swapped": lambda: (c @ Wb + bg) * xhat() + (c @ Wg + bb),
            "gamma and beta were swapped": lambda: beta * xhat() + gamma,
            "gamma was not applied": lambda: xhat() + beta,
            "beta was not added": lambda: gamma * xhat(),
            "the condition was ignored: b_gamma and b_beta were used as a plain LayerNorm's gamma and beta": lambda: bg
            * xhat()
            + bb,
        }
    )
    if Wg.shape[0] == Wg.shape[1]:
        found["the weights were used transposed (c @ W.T); here W is (K, D) and gamma = c @ W_gamma"] = lambda: (
            (c @ Wg.T + bg) * xhat() + (c @ Wb.T + bb)
        )
    return found


def cond_grad_mistakes(inputs: CondInputs, candidate_default: float | None = None) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    x, c, Wg, bg, Wb, bb, dy = _f64(inputs)
    eps = inputs.case.eps_value
    xhat, _ = row_stats(x, eps)
    gamma = c @ Wg + bg
    g = dy * xhat  # dL/dgamma, (N, D)
    n = x.shape[0]
    out_of_order = "the gradients came back out of order: return (dx, dc, dW_gamma, db_gamma, dW_beta, db_beta)"
    found: dict[str, dict[str, Callable[[], np.ndarray]]] = {
        "dx": {
            **(
                {f"your eps defaults to {candidate_default:g}; the spec's default is {SPEC_EPS:g}": lambda: rowwise_dx(
                    x, gamma, dy, candidate_default
                )}
                if inputs.case.eps is None and candidate_default is not None
                else {}
            ),
            **rowwise_dx_mistakes(x, gamma, dy, eps, scale_name="gamma"),
            "dx used b_gamma as gamma (a plain LayerNorm backward): the row's gamma is c @ W_gamma + b_gamma": lambda: rowwise_dx(
                x, bg.reshape(1, -1), dy, eps
            ),
        },
        "dc": {
            "dc is missing the path through beta (+ dy @ W_beta.T)": lambda: g @ Wg.T,
            "dc is missing the path through gamma (+ (dy * x_hat) @ W_gamma.T)": lambda: dy @ Wb.T,
            "dc's gamma path forgot x_hat: it is (dy * x_hat) @ W_gamma.T": lambda: dy @ Wg.T + dy @ Wb.T,
        },
        "dW_gamma": {
            "dW_gamma forgot x_hat: it is c.T @ (dy * x_hat)": lambda: c.T @ dy,
            "dW_gamma used x instead of x_hat": lambda: c.T @ (dy * x),
            f"dW_gamma was averaged over the {n} rows instead of summed": lambda: c.T @ g / n,
        },
        "db_gamma": {
            f"db_gamma is the sum of dy: it forgot x_hat, or {out_of_order}": lambda: dy.sum(axis=0),
            "db_gamma used x instead of x_hat": lambda: (dy * x).sum(axis=0),
            f"db_gamma was averaged over the {n} rows instead of summed": lambda: g.mean(axis=0),
        },
        "dW_beta": {
            f"dW_beta was multiplied by x_hat (that is dW_gamma), or {out_of_order}": lambda: c.T @ g,
            f"dW_beta was averaged over the {n} rows instead of summed": lambda: c.T @ dy / n,
        },
        "db_beta": {
            f"db_beta was multiplied by x_hat (that is db_gamma), or {out_of_order}": lambda: g.sum(axis=0),
            f"db_beta was averaged over the {n} rows instead of summed": lambda: dy.mean(axis=0),
        },
    }
    if Wg.shape[0] == Wg.shape[1]:
        found["dc"]["dc used the weights untransposed (dz @ W instead of dz @ W.T)"] = lambda: g @ Wg + dy @ Wb
        found["dW_gamma"]["dW_gamma is transposed: it is c.T @ (dy * x_hat), shaped (K, D)"] = lambda: (c.T @ g).T
        found["dW_beta"]["dW_beta is transposed: it is c.T @ dy, shaped (K, D)"] = lambda: (c.T @ dy).T
    return found


def plain_layernorm(inputs: CondInputs) -> tuple[np.ndarray, np.ndarray]:
    """y and dx of a plain LayerNorm with gamma = 1, beta = 0: what the identity initialization must give."""
    x, *_, dy = _f64(inputs)
    xhat, _ = row_stats(x, inputs.case.eps_value)
    return xhat, rowwise_dx(x, 1.0, dy, inputs.case.eps_value)
