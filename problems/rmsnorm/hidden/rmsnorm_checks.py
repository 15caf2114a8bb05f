"""RMSNorm for the generic layer checks: f(x, gamma, eps=...) -> (y, cache), no beta, no mean subtracted.

`RMSNormLayer` adapts `AffineNorm` (calls without beta, inputs with rows of zeros or of a tiny root mean
square, RMSNorm's own speed workload) and models the classic RMSNorm mistakes so that a wrong answer is
named; `RMSNormChecks` is the check class a suite subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit import mistakes
from grader.kit.compare import expect_array
from grader.kit.shaped_gradients import ShapedGradientChecks
from grader.kit.layers import AffineNorm, Case, Inputs, category
from grader.outcomes import CheckFailed

Models = dict[str, Callable[[], np.ndarray]]


OFFSET_GAMMA = (
    "the scale was 1 + gamma (Gemma's offset convention, for a gamma stored around 0); this RMSNorm multiplies by "
    "gamma itself"
)


def rms_normalize(x: np.ndarray, eps: float, *, axis: int = 1, center: bool = False, eps_outside: bool = False,
                  root: bool = True, count: bool = True) -> np.ndarray:
    """x / sqrt(mean(x**2) + eps) over `axis`, and the ways people get it wrong (float64)."""
    x = np.asarray(x, dtype=np.float64)
    base = x - x.mean(axis=axis, keepdims=True) if center else x
    ms = np.mean(base * base, axis=axis, keepdims=True) if count else np.sum(base * base, axis=axis, keepdims=True)
    if not root:
        return base / (ms + eps)
    return base / (np.sqrt(ms) + eps) if eps_outside else base / np.sqrt(ms + eps)


def rms_dx(x: np.ndarray, gamma: np.ndarray, eps: float, dy: np.ndarray, *, rms_path: float = 1.0, count: bool = True,
           use_gamma: bool = True, mean_path: bool = False, rstd_power: int = 3) -> np.ndarray:
    """The input gradient rstd * (dxhat - x_hat * mean(dxhat * x_hat)), and its usual corruptions."""
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    dxhat = dy * np.asarray(gamma, dtype=np.float64).reshape(1, -1) if use_gamma else dy
    reduce = np.mean if count else np.sum
    proj = reduce(dxhat * x, axis=1, keepdims=True)  # = mean(dxhat * x_hat) / rstd
    dx = rstd * dxhat - rms_path * rstd**rstd_power * x * proj
    if mean_path:
        dx -= rstd * dxhat.mean(axis=1, keepdims=True)
    return dx


def _eps_outside_dx(x: np.ndarray, gamma: np.ndarray, eps: float, dy: np.ndarray) -> np.ndarray:
    """The input gradient of gamma * x / (sqrt(mean(x**2)) + eps), a consistent but wrong pair of passes."""
    rms = np.sqrt(np.mean(x * x, axis=1, keepdims=True))
    dxhat = dy * np.asarray(gamma, dtype=np.float64).reshape(1, -1)
    denom = rms + eps
    return dxhat / denom - x * np.sum(dxhat * x, axis=1, keepdims=True) / (denom**2 * rms * x.shape[1])


@dataclass(frozen=True)
class RMSNormLayer(AffineNorm):
    """rmsnorm_forward(x, gamma, eps=1e-5) -> (y, cache); rmsnorm_backward(dy, cache) -> (dx, dgamma)."""

    forward: str = "rmsnorm_forward"
    backward: str = "rmsnorm_backward"
    stat_axis: int = 1
    outputs: tuple[str, ...] = ("y", "cache")
    grads: tuple[str, ...] = ("dx", "dgamma")
    params: tuple[str, ...] = ("x", "gamma")
    upstream: str = "dy"

    # ------------------------------------------------------------------ inputs
    def make_inputs(self, rng: np.random.Generator, case: Case) -> Inputs:
        """Besides AffineNorm's kinds: `tiny` (rows with a root mean square ≈ 1e-3, where eps dominates),
        `zeros` (every other row all zeros), `narrow` (root mean square ≈ 0.5: dx is large next to the noise
        of central differences, for gradient checks)."""
        n, d = case.n, case.d
        if case.data not in ("tiny", "zeros", "narrow"):
            return super().make_inputs(rng, case)
        z = rng.standard_normal((n, d))
        if case.data == "tiny":
            x = 1e-3 * rng.uniform(0.5, 1.5, (n, 1)) * z
        elif case.data == "narrow":
            x = rng.uniform(-0.5, 0.5, (n, 1)) + rng.uniform(0.2, 0.6, (n, 1)) * z
        else:
            x = (rng.uniform(-3, 3, (n, 1)) + rng.uniform(0.5, 3, (n, 1)) * z) * (np.arange(n) % 2 == 1)[:, None]
        x = x.astype(case.dtype)
        gamma = rng.normal(1.0, 0.5, d).astype(case.dtype)
        return Inputs(x, gamma, np.zeros(0, dtype=case.dtype), case.eps)

    # ------------------------------------------------------------------ calls
    def forward_args(self, inputs: Inputs) -> tuple[tuple, dict]:
        return (inputs.x, inputs.gamma), ({} if inputs.eps is None else {"eps": inputs.eps})

    def grad_shape_hint(self, name: str, got: tuple, want: tuple, x_shape: tuple) -> str:
        if got == (1,) + want:
            return ": sum over the batch (axis 0) without keepdims"
        if got == (x_shape[0],):  # one value per row: the shape of a sum over each row's features
            return ": summed over the features (axis 1) instead of the batch (axis 0)?"
        return ""

    # ------------------------------------------------------------------ known mistakes
    def forward_diagnoses(self, inputs: Inputs, candidate_default: float | None = None) -> Models:
        x, eps = inputs.x, self.eps(inputs)
        g = np.asarray(inputs.gamma, dtype=np.float64).reshape(1, -1)
        found: Models = {}
        if inputs.eps is None and candidate_default is not None:
            found[f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"] = (
                lambda: rms_normalize(x, candidate_default) * g
            )
        found.update({
            "the mean was subtracted first: that is LayerNorm; RMSNorm divides x itself by its root mean square": (
                lambda: rms_normalize(x, eps, center=True) * g
            ),
            "x was divided by its standard deviation (np.std / np.var subtract the mean); the root mean square "
            "is sqrt(mean(x**2))": lambda: np.asarray(x, dtype=np.float64) / np.sqrt(
                np.var(np.asarray(x, dtype=np.float64), axis=1, keepdims=True) + eps) * g,
            "eps was added outside the square root: x / (rms + eps) instead of x / sqrt(mean(x**2) + eps)": (
                lambda: rms_normalize(x, eps, eps_outside=True) * g
            ),
            "the mean square was taken over axis 0 (down the batch) instead of axis 1 (over each row's features)": (
                lambda: rms_normalize(x, eps, axis=0) * g
            ),
            "the square root is missing: x was divided by mean(x**2) + eps": lambda: rms_normalize(x, eps, root=False) * g,
            "x was divided by its L2 norm (the sum of squares, not their mean)": lambda: rms_normalize(x, eps, count=False) * g,
            "eps was ignored (the eps argument never reached the square root)": lambda: rms_normalize(x, self.default_eps) * g,
            "eps was left out entirely": lambda: rms_normalize(x, 0.0) * g,
            "gamma was not applied": lambda: rms_normalize(x, eps),
            OFFSET_GAMMA: lambda: rms_normalize(x, eps) * (1.0 + g),
        })
        return found

    def grad_diagnoses(self, inputs: Inputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, Models]:
        x, gamma, eps = inputs.x, inputs.gamma, self.eps(inputs)
        x64, dy = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
        x_hat = rms_normalize(x64, eps)
        dx: Models = {}
        if inputs.eps is None and candidate_default is not None:
            dx[f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"] = (
                lambda: rms_dx(x64, gamma, candidate_default, dy)
            )
        if inputs.eps is not None:
            dx[f"backward used eps={self.default_eps:g}, not the eps={inputs.eps:g} forward was given: keep eps "
               "(or 1/rms) in the cache"] = lambda: rms_dx(x64, gamma, self.default_eps, dy)
        dx.update({
            OFFSET_GAMMA: lambda: rms_dx(x64, 1.0 + np.asarray(gamma, dtype=np.float64), eps, dy),
            "dx is missing the path through the root mean square (only dy·gamma/rms)": (
                lambda: rms_dx(x64, gamma, eps, dy, rms_path=0.0)
            ),
            "dx ignores gamma (used dy where dy·gamma belongs)": lambda: rms_dx(x64, gamma, eps, dy, use_gamma=False),
            "dx subtracts mean(dy·gamma): that is LayerNorm's path through the mean, which RMSNorm does not have": (
                lambda: rms_dx(x64, gamma, eps, dy, mean_path=True)
            ),
            "dx summed over the row where mean(x**2) has a mean: the 1/D is missing": (
                lambda: rms_dx(x64, gamma, eps, dy, count=False)
            ),
            "the path through the root mean square is twice too large (the 1/2 of d sqrt(u) = du / (2 sqrt(u)) "
            "was dropped)": lambda: rms_dx(x64, gamma, eps, dy, rms_path=2.0),
            "the path through the root mean square is half what it should be (the 2 of d(x**2)/dx = 2x was "
            "dropped)": lambda: rms_dx(x64, gamma, eps, dy, rms_path=0.5),
            "the path through the root mean square has the wrong sign": lambda: rms_dx(x64, gamma, eps, dy, rms_path=-1.0),
            "the path through the root mean square used 1/rms**2 where (mean(x**2) + eps)**(-3/2) belongs": (
                lambda: rms_dx(x64, gamma, eps, dy, rstd_power=2)
            ),
            # A backward pass that is right for a wrong forward pass: name the forward's mistake.
            "dx is LayerNorm's gradient: the mean was subtracted (in the forward pass too?)": (
                lambda: mistakes.correct_dx(x64, gamma, eps, dy, 1)
            ),
            "dx is the gradient of x / (rms + eps): eps belongs inside the square root": (
                lambda: _eps_outside_dx(x64, gamma, eps, dy)
            ),
        })
        return {
            "dx": dx,
            "dgamma": {
                "dgamma used x instead of the normalized x̂ = x / rms": lambda: (dy * x64).sum(axis=0),
                "dgamma is dy summed over the batch: that is a dbeta, and RMSNorm has no beta": lambda: dy.sum(axis=0),
                "dgamma was averaged over the batch instead of summed": lambda: (dy * x_hat).mean(axis=0),
                "dgamma was summed over axis 1 instead of axis 0": lambda: (dy * x_hat).sum(axis=1),
                "dgamma used LayerNorm's x̂, with the mean subtracted": lambda: (dy * mistakes.normalize(x64, 1, eps)).sum(axis=0),
                "dgamma used x / (rms + eps): eps belongs inside the square root": (
                    lambda: (dy * rms_normalize(x64, eps, eps_outside=True)).sum(axis=0)
                ),
            },
        }

    # ------------------------------------------------------------------ speed
    def speed_inputs(self, rng: np.random.Generator, n: int, d: int) -> tuple:
        return rng.random((n, d)) * 4.0 - 1.5, rng.uniform(0.5, 1.5, d)

    def speed_run(self, impl: Any, x: Any, gamma: Any) -> tuple:
        y, cache = getattr(impl, self.forward)(x, gamma)
        return y, getattr(impl, self.backward)(y, cache)


class RMSNormChecks(ShapedGradientChecks):
    """Subclass in a hidden suite with `layer = RMSNormLayer()` and the problem's cases."""

    layer: RMSNormLayer

    @category("contract")
    def test_finite_on_constant_input(self, candidate: Any, rng: np.random.Generator) -> None:
        """finite results for an all-zero row"""
        n, d = self.contract_size
        inputs = self.layer.make_inputs(rng, Case("zero rows", n, d, data="zeros"))
        out, cache = self.layer.call_forward(candidate, inputs)
        expect_array(out, self.layer.outputs[0], shape=inputs.x.shape)
        grads = self.layer.call_backward(candidate, rng.standard_normal(inputs.x.shape), cache)
        for name, value in zip((self.layer.outputs[0],) + self.layer.grads, (out,) + grads):
            if isinstance(value, np.ndarray) and not np.all(np.isfinite(value)):
                raise CheckFailed(
                    f"{name} contains NaN or inf for a row of zeros: mean(x**2) is 0 there, so eps must sit inside "
                    "the square root (x / sqrt(mean(x**2) + eps)), and nothing may divide by the rms alone"
                )
