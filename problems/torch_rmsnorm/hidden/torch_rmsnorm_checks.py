"""torch_rmsnorm: RMSNorm's formula (forward and gradients) in NumPy, its cases, and its classic mistakes.

The grader judges the candidate's module against two references that never touch the candidate's code:
this module's closed-form formula, evaluated here in float64, and (when the installed torch has it)
`torch.nn.RMSNorm` itself, run here through `torch_kit.reference_run`.

    ms    = mean(x ** 2)  over the last len(normalized_shape) dims, one value per sample
    rstd  = 1 / sqrt(ms + eps)
    y     = x * rstd * weight
    dx    = rstd * (dxhat - x_hat * mean(dxhat * x_hat)),   dxhat = dy * weight, x_hat = x * rstd
    dweight = sum over the leading dims of dy * x_hat
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit.compare import assert_close
from grader.kit.ln_module import SPEC_EPS, as_shape
from grader.kit.torch_kit import ModuleCase
from grader.outcomes import CheckFailed

# Defaults people reach for: LLaMA's 1e-6, 1e-8, none at all, and nn.RMSNorm's eps=None (float32's machine epsilon).
WRONG_DEFAULT_EPS = {
    0.0: "0",
    1e-6: "1e-06",
    1e-8: "1e-08",
    float(np.finfo(np.float32).eps): "torch.finfo(float32).eps (nn.RMSNorm's eps=None)",
}
Models = dict[str, Callable[[], np.ndarray]]


def _axes(ndim: int, k: int) -> tuple[int, ...]:
    return tuple(range(ndim - k, ndim))


# ====================================================================== the formula


def rms_normalize(
    x: Any, axes: tuple[int, ...] | None, eps: float, *, center: bool = False, eps_outside: bool = False,
    count: bool = True, root: bool = True,
) -> np.ndarray:
    """x / sqrt(mean(x**2) + eps) over `axes` (None: the whole tensor), and the ways people get it wrong."""
    x = np.asarray(x, dtype=np.float64)
    base = x - x.mean(axis=axes, keepdims=True) if center else x
    reduce = np.mean if count else np.sum
    ms = reduce(base * base, axis=axes, keepdims=True)
    if not root:
        return base / (ms + eps)
    return base / (np.sqrt(ms) + eps) if eps_outside else base / np.sqrt(ms + eps)


def rms_forward(x: Any, normalized: tuple, eps: float, weight: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return rms_normalize(x, _axes(x.ndim, len(normalized)), eps) * np.asarray(weight, dtype=np.float64)


def rms_gradients(
    x: Any, normalized: tuple, eps: float, weight: Any, dy: Any, *, rms_path: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dweight) of y = x / sqrt(mean(x**2) + eps) * weight; rms_path=False: the statistic detached."""
    x, dy = np.asarray(x, dtype=np.float64), np.asarray(dy, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    axes = _axes(x.ndim, len(normalized))
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + eps)
    x_hat = x * rstd
    dxhat = dy * w
    dx = rstd * dxhat
    if rms_path:
        dx = dx - rstd * x_hat * np.mean(dxhat * x_hat, axis=axes, keepdims=True)
    lead = tuple(range(x.ndim - len(normalized)))
    return dx, (dy * x_hat).sum(axis=lead)


# ====================================================================== known mistakes


OFFSET_WEIGHT = (
    "the scale was 1 + weight (Gemma's offset convention, for a weight stored around 0); this RMSNorm multiplies "
    "by weight itself, which starts at ones"
)


def rms_forward_diagnoses(x: Any, normalized: tuple, eps: float, weight: Any = None) -> Models:
    """What the usual wrong RMSNorms return on x, keyed by the sentence that names the mistake."""
    x = np.asarray(x, dtype=np.float64)
    k = len(normalized)
    axes = _axes(x.ndim, k)
    w = np.ones(normalized) if weight is None else np.asarray(weight, dtype=np.float64)
    models: Models = {
        "the mean was subtracted first: that is LayerNorm; RMSNorm divides x itself by its root mean square": (
            lambda: rms_normalize(x, axes, eps, center=True) * w
        ),
        "x was divided by its standard deviation (x.std / x.var subtract the mean); the root mean square is "
        "sqrt(mean(x ** 2))": lambda: x / np.sqrt(x.var(axis=axes, keepdims=True) + eps) * w,
        "eps was added outside the square root: x / (rms + eps) instead of x / sqrt(mean(x ** 2) + eps)": (
            lambda: rms_normalize(x, axes, eps, eps_outside=True) * w
        ),
        "x was divided by its L2 norm (x.norm(): the sum of squares, not their mean; the 1/D is missing)": (
            lambda: rms_normalize(x, axes, eps, count=False) * w
        ),
        "the square root is missing: x was divided by mean(x ** 2) + eps": lambda: rms_normalize(x, axes, eps, root=False) * w,
        "weight was not applied": lambda: rms_normalize(x, axes, eps),
        OFFSET_WEIGHT: lambda: rms_normalize(x, axes, eps) * (1.0 + w),
    }
    if k > 1:
        models["only the last dim was normalized; a tuple normalized_shape means all of its dims together"] = (
            lambda: rms_normalize(x, (x.ndim - 1,), eps) * w
        )
    if x.ndim > k:
        models["the mean square was taken across the batch (dim 0), as BatchNorm would"] = lambda: rms_normalize(x, (0,), eps) * w
        models["the mean square was taken over the whole tensor (x.pow(2).mean() with no dim): one value for the "
               "whole batch"] = lambda: rms_normalize(x, None, eps) * w
    for wrong, shown in WRONG_DEFAULT_EPS.items():
        if wrong != eps:
            models[f"eps was {shown} instead of {eps:g} (a wrong default, or the eps argument ignored)"] = (
                lambda wrong=wrong: rms_normalize(x, axes, wrong) * w
            )
    if eps != SPEC_EPS:
        models[f"eps was 1e-05 instead of {eps:g}: the eps argument was not used"] = lambda: rms_normalize(x, axes, SPEC_EPS) * w
    return models


def rms_dx_diagnoses(x: Any, normalized: tuple, eps: float, weight: Any, dy: Any) -> Models:
    return {
        OFFSET_WEIGHT: lambda: rms_gradients(x, normalized, eps, 1.0 + np.asarray(weight, dtype=np.float64), dy)[0],
        "no gradient flows through the root mean square: the statistic was detached (.detach(), .data, .item() "
        "or computed under torch.no_grad()), so dx is only dy * weight / rms": (
            lambda: rms_gradients(x, normalized, eps, weight, dy, rms_path=False)[0]
        ),
    }


# ====================================================================== cases


@dataclass(frozen=True)
class Case(ModuleCase):
    label: str
    shape: int | tuple
    lead: tuple
    data: str = "normal"  # normal | tiny | zeros | large | constant
    eps: float | None = None  # None: not passed, the module's default applies
    dtype: str = "float32"

    def inputs(self, rng: np.random.Generator) -> np.ndarray:
        """Samples with non-zero means (subtracting the mean shows) and their own scales."""
        full = self.lead + self.normalized
        per_sample = self.lead + (1,) * len(self.normalized)
        x = rng.uniform(-2, 2, per_sample) + rng.uniform(0.5, 3.0, per_sample) * rng.standard_normal(full)
        if self.data == "tiny":  # root mean square ≈ 1e-3: mean(x**2) ≈ 1e-6, well under eps
            x = 1e-3 * (rng.uniform(-1, 1, per_sample) + rng.standard_normal(full))
        elif self.data == "zeros":  # every other sample all zeros
            flat = x.reshape((-1,) + self.normalized)
            flat[::2] = 0.0
        elif self.data == "large":
            x = 1e4 * x
        elif self.data == "constant":  # LayerNorm would send these to 0; RMSNorm keeps their sign
            x = np.broadcast_to(rng.uniform(-3, 3, per_sample), full).copy()
        return x.astype(self.dtype)


# ====================================================================== judging a run


def assert_matches_formula(got: Any, x: np.ndarray, dy: np.ndarray, case: Case, weight: np.ndarray, what: str) -> None:
    """The candidate's ModuleRun (output, dx, dweight) against the closed-form formula, mistakes named."""
    eps, normalized = case.eps_value, case.normalized
    rtol = 1e-4 if case.dtype == "float32" else 1e-9
    want = rms_forward(x, normalized, eps, weight)
    try:
        assert_close(got.output, want, f"{what}: output", rtol=rtol, dtype=np.dtype(case.dtype),
                     diagnoses=rms_forward_diagnoses(x, normalized, eps, weight))
    except CheckFailed as failed:
        if case.dtype == "float64" and ". Looks like" not in failed.message:
            _float32_precision(got.output, want, f"{what}: output")
        raise
    dx, dweight = rms_gradients(x, normalized, eps, weight, dy)
    gx = got.input_grads[0] if got.input_grads else None
    if gx is None:
        raise CheckFailed(f"{what}: x received no gradient (was it detached, or used through .data/.numpy()?)")
    grad_rtol = rtol if case.data in ("normal", "constant") else 10 * rtol
    assert_close(gx, dx, f"{what}: gradient of x", rtol=grad_rtol, diagnoses=rms_dx_diagnoses(x, normalized, eps, weight, dy))
    if "weight" not in got.param_grads:
        raise CheckFailed(f"{what}: no trainable parameter named 'weight' (got {sorted(got.param_grads)}); register it as an nn.Parameter")
    if got.param_grads["weight"] is None:
        raise CheckFailed(f"{what}: weight received no gradient: it is not used in forward, or used detached (.data)")
    assert_close(got.param_grads["weight"], dweight, f"{what}: gradient of weight", rtol=grad_rtol)


def _float32_precision(got: Any, want: np.ndarray, what: str) -> None:
    """A float64 output that is wrong by float32's rounding, and matches no other mistake, went through float32."""
    if not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype != np.float64:
        return
    err = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))
    if 1e-9 < err < 1e-5:
        raise CheckFailed(
            f"{what}: a float64 input came out only float32-accurate (relative error {err:.2g}): the computation went "
            "through float32 (x.float(), as LLaMA's RMSNorm does for half precision, or a float32 constant). Never "
            "compute in less precision than x's dtype"
        )
