"""Inputs, calls and mistake models for LayerNorm over trailing axes, and for row-wise normalizations.

`layernorm_module` grades a *class*: the candidate's `LayerNorm(normalized_shape, eps)` lives in the
worker (a RemoteObject here), keeps gamma/beta as attributes and remembers its last forward call. Its
statistics are taken over the trailing len(normalized_shape) axes of x, with any number of leading axes.
Viewing x as a matrix of M rows by D = prod(normalized_shape) features turns it into a row-wise LayerNorm,
which is also what `conditional_layernorm` is (with a per-row gamma): the row-wise models below serve both.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit import mistakes
from grader.kit.compare import describe, expect_array
from grader.kit.gradcheck import STEP
from grader.kit.layers import AffineNorm, Case, assert_unchanged, unpack
from grader.outcomes import CheckFailed

SPEC_EPS = 1e-5  # the eps of torch's norm modules, which the specs keep


class SpecEps:
    """What a case derives from its `eps` field (None: not passed, so the default applies). Mixed into case
    dataclasses of this module, conditional_layernorm's and the PyTorch track's (grader.kit.torch_kit)."""

    eps: float | None

    @property
    def eps_value(self) -> float:
        return SPEC_EPS if self.eps is None else self.eps

    @property
    def kwargs(self) -> dict:
        """The constructor's keyword arguments: eps only when the case passes one."""
        return {} if self.eps is None else {"eps": self.eps}


GRADS = ("dx", "dgamma", "dbeta")

# ====================================================================== shared: data and row-wise models


_ROWS = AffineNorm(forward="", backward="", stat_axis=1)  # only its input generator: statistics per row


def draw_rows(rng: np.random.Generator, data: str, m: int, d: int) -> np.ndarray:
    """(m, d) float64 rows whose own statistics follow `data`: normal | tiny_var | offset | constant."""
    return _ROWS.make_inputs(rng, Case("rows", m, d, data=data)).x


def row_stats(x2: np.ndarray, eps: float, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x̂ and 1/sqrt(var + eps) of each row of a 2-D float array."""
    x2 = np.asarray(x2, dtype=np.float64)
    mu, var = x2.mean(axis=1, keepdims=True), x2.var(axis=1, ddof=ddof, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    return (x2 - mu) * rstd, rstd


def rowwise_dx(x2: np.ndarray, scale: np.ndarray, dout2: np.ndarray, eps: float, ddof: int = 0) -> np.ndarray:
    """The right dx of a row-wise LayerNorm whose output is scale * x̂ + shift (scale (1, D) or (M, D))."""
    xhat, rstd = row_stats(x2, eps, ddof)
    dxhat = np.asarray(dout2, dtype=np.float64) * scale
    return rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=1, keepdims=True))


def rowwise_dx_mistakes(
    x2: np.ndarray, scale: np.ndarray, dout2: np.ndarray, eps: float, scale_name: str = "gamma"
) -> dict[str, Callable[[], np.ndarray]]:
    """Wrong input gradients of a row-wise LayerNorm (rows of x2 normalized, times `scale`)."""
    x2 = np.asarray(x2, dtype=np.float64)
    dout2 = np.asarray(dout2, dtype=np.float64)
    xhat, rstd = row_stats(x2, eps)
    dxhat = dout2 * scale

    def mean(a: np.ndarray) -> np.ndarray:
        return a.mean(axis=1, keepdims=True)

    zero_var = x2.var(axis=1, keepdims=True) == 0
    return {
        "dx is missing the path through the variance (the −x̂·mean(dx̂·x̂) term)": lambda: rstd * (dxhat - mean(dxhat)),
        "dx is missing the path through the mean (the −mean(dx̂) term)": lambda: rstd * (dxhat - xhat * mean(dxhat * xhat)),
        "dx treats the mean and variance as constants (only dx̂/std)": lambda: rstd * dxhat,
        f"dx ignores {scale_name} (used dout where dout·{scale_name} belongs)": lambda: rowwise_dx(x2, 1.0, dout2, eps),
        "dx used the unbiased variance (ddof=1)": lambda: rowwise_dx(x2, scale, dout2, eps, ddof=1),
        "dx took its means over the batch (axis 0) instead of over each row's features": lambda: rstd
        * (dxhat - dxhat.mean(axis=0, keepdims=True) - xhat * (dxhat * xhat).mean(axis=0, keepdims=True)),
        "zero-variance rows were special-cased with std = 1; keep 1/sqrt(var + eps) there too": lambda: np.where(
            zero_var, 1.0, rstd
        )
        * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
    }


# Arrays the caller passed must come back as they went in: assert_unchanged(fn, names, before, after).


# ====================================================================== layernorm_module: cases and calls


def as_shape(normalized_shape: int | tuple) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


@dataclass(frozen=True)
class ModuleCase(SpecEps):
    """One family of inputs for LayerNorm(normalized_shape): x has shape leading + normalized_shape."""

    name: str
    normalized_shape: int | tuple[int, ...]
    leading: tuple[int, ...]
    data: str = "normal"
    dtype: str = "float64"
    eps: float | None = None  # None: not passed to the constructor, so its default applies
    params: str = "random"  # random: gamma and beta set to random values | fresh: as the constructor made them

    @property
    def shape(self) -> tuple[int, ...]:
        return as_shape(self.normalized_shape)

    @property
    def x_shape(self) -> tuple[int, ...]:
        return tuple(self.leading) + self.shape

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype != "float64" else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None else []
        dims = "×".join(map(str, self.x_shape)) if len(self.x_shape) > 1 else f"of shape {self.x_shape}"
        return f"{self.name}: x {dims}, LayerNorm({self.normalized_shape!r})" + (f", {', '.join(extras)}" if extras else "")

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7


@dataclass
class ModuleInputs:
    case: ModuleCase
    x: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    dout: np.ndarray


def make_module_inputs(rng: np.random.Generator, case: ModuleCase) -> ModuleInputs:
    d = int(np.prod(case.shape))
    m = int(np.prod(case.leading)) if case.leading else 1
    x = draw_rows(rng, case.data, m, d).reshape(case.x_shape).astype(case.dtype)
    if case.params == "fresh":
        gamma, beta = np.ones(case.shape, dtype=case.dtype), np.zeros(case.shape, dtype=case.dtype)
    else:
        gamma = rng.normal(1.0, 0.5, case.shape).astype(case.dtype)
        beta = rng.normal(0.0, 1.0, case.shape).astype(case.dtype)
    dout = rng.standard_normal(case.x_shape).astype(case.dtype)
    return ModuleInputs(case, x, gamma, beta, dout)


def build_layer(impl: Any, inputs: ModuleInputs) -> Any:
    """impl.LayerNorm(normalized_shape[, eps]) with gamma and beta set through its attributes (random cases)."""
    case = inputs.case
    layer = impl.LayerNorm(case.normalized_shape, **case.kwargs)
    if case.params != "fresh":
        layer.gamma = inputs.gamma.copy()
        layer.beta = inputs.beta.copy()
    return layer


def call_backward(layer: Any, dout: np.ndarray) -> tuple:
    return unpack(layer.backward(dout), GRADS, "LayerNorm.backward")


def forward_output(value: Any, x_shape: tuple, dtype: Any = None) -> np.ndarray:
    if isinstance(value, (tuple, list)):
        raise CheckFailed(
            f"LayerNorm.forward must return the output array alone; it returned {describe(value)} "
            "(the layer keeps what backward needs on self, there is no cache to hand back)"
        )
    return expect_array(value, "y", shape=x_shape, dtype=dtype)


def reference_run(reference: Any, inputs: ModuleInputs) -> tuple[np.ndarray, tuple]:
    layer = build_layer(reference, inputs)
    y = layer.forward(inputs.x.copy())
    return y, layer.backward(inputs.dout.copy())


def method_numerical_gradient(method: Any, x: np.ndarray, dout: np.ndarray, h: float = STEP) -> np.ndarray:
    """d sum(method(x) * dout) / dx by central differences, all evaluations in one streamed batch."""
    perturb = [(0, i, sign * h) for i in range(x.size) for sign in (1.0, -1.0)]
    outputs = method.batch((x,), {}, perturb, select=None)
    grad = np.empty(x.size)
    for i in range(x.size):
        plus = forward_output(outputs[2 * i], dout.shape).astype(np.float64)
        minus = forward_output(outputs[2 * i + 1], dout.shape).astype(np.float64)
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad.reshape(x.shape)


def attribute_numerical_gradient(
    layer: Any, name: str, value: np.ndarray, x: np.ndarray, dout: np.ndarray, h: float = STEP
) -> np.ndarray:
    """d sum(layer.forward(x) * dout) / d layer.<name>: the attribute is set to each perturbed value in turn.

    An attribute is not an argument, so the batched evaluation cannot perturb it: two requests per
    evaluation (set, forward), which stays cheap for the small parameters a gradient check uses.
    """
    forward = layer.forward
    grad = np.empty(value.size)
    for i in range(value.size):
        outputs = []
        for sign in (1.0, -1.0):
            perturbed = np.array(value, dtype=np.float64, copy=True)
            perturbed.reshape(-1)[i] += sign * h
            setattr(layer, name, perturbed)
            outputs.append(forward_output(forward(x), dout.shape).astype(np.float64))
        grad[i] = np.sum((outputs[0] - outputs[1]) * dout) / (2 * h)
    setattr(layer, name, np.array(value, copy=True))
    return grad.reshape(value.shape)


# ====================================================================== layernorm_module: mistake models


def _axes_label(axes: tuple[int, ...]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


def module_forward_mistakes(inputs: ModuleInputs, candidate_default: float | None = None) -> dict:
    """What classic mistakes return for LayerNorm(normalized_shape).forward(x) with these gamma and beta."""
    case = inputs.case
    x = np.asarray(inputs.x, dtype=np.float64)
    g, b = np.asarray(inputs.gamma, dtype=np.float64), np.asarray(inputs.beta, dtype=np.float64)
    k, eps = len(case.shape), case.eps_value
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = x.ndim - k

    def affine(xhat: np.ndarray, scale: Any = g, shift: Any = b) -> np.ndarray:
        return xhat * scale + shift

    found: dict[str, Callable[[], np.ndarray]] = {}
    if case.eps is None and candidate_default is not None:
        found[f"your eps defaults to {candidate_default:g}; the spec's default is {SPEC_EPS:g}"] = lambda: affine(
            mistakes.normalize(x, axes, candidate_default)
        )
    found.update(
        {
            "the variance used ddof=1 (unbiased); normalization uses the biased variance (ddof=0)": lambda: affine(
                mistakes.normalize(x, axes, eps, ddof=1)
            ),
            "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: affine(
                mistakes.normalize(x, axes, eps, eps_outside_sqrt=True)
            ),
            "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: affine(
                mistakes.normalize(x, axes, eps, one_pass=True)
            ),
            "the eps given to the constructor was ignored (1e-5 was used)": lambda: affine(mistakes.normalize(x, axes, SPEC_EPS)),
            "eps was left out entirely": lambda: affine(mistakes.normalize(x, axes, 0.0)),
            "gamma and beta were swapped": lambda: affine(mistakes.normalize(x, axes, eps), b, g),
            "gamma was not applied (was the gamma set on the object after construction used?)": lambda: affine(
                mistakes.normalize(x, axes, eps), 1.0
            ),
            "beta was not added (was the beta set on the object after construction used?)": lambda: affine(
                mistakes.normalize(x, axes, eps), g, 0.0
            ),
            "gamma and beta were the constructor's ones and zeros, not the values set on the object": lambda: mistakes.normalize(
                x, axes, eps
            ),
        }
    )
    if k > 1:
        found[
            f"the statistics were taken over the last axis only; normalized_shape {case.shape} covers the last {k} axes"
        ] = lambda: affine(mistakes.normalize(x, (x.ndim - 1,), eps))
    if lead > 1:
        found[
            f"the statistics were taken over every axis but the first (x.reshape(len(x), -1)); "
            f"normalized_shape {case.shape} covers only {_axes_label(axes)}"
        ] = lambda: affine(mistakes.normalize(x, tuple(range(1, x.ndim)), eps))
    if lead >= 1:
        found["the statistics were taken over the whole array (mean/var without an axis)"] = lambda: affine(
            mistakes.normalize(x, tuple(range(x.ndim)), eps)
        )
        found["the statistics were taken over axis 0, the batch (that is BatchNorm)"] = lambda: affine(
            mistakes.normalize(x, (0,), eps)
        )
    return found


def module_grad_mistakes(inputs: ModuleInputs, candidate_default: float | None = None) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    """Wrong dx, dgamma, dbeta for LayerNorm(normalized_shape).backward(dout), by gradient name."""
    case = inputs.case
    d = int(np.prod(case.shape))
    x2 = np.asarray(inputs.x, dtype=np.float64).reshape(-1, d)
    dout2 = np.asarray(inputs.dout, dtype=np.float64).reshape(-1, d)
    g2 = np.asarray(inputs.gamma, dtype=np.float64).reshape(1, d)
    xhat, _ = row_stats(x2, case.eps_value)
    m = x2.shape[0]

    def as_param(a: np.ndarray) -> np.ndarray:
        return a.reshape(case.shape)

    def as_x(model: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
        return lambda: model().reshape(case.x_shape)

    out_of_order = "the gradients came back out of order: return (dx, dgamma, dbeta)"
    dx_models = {}
    if case.eps is None and candidate_default is not None:
        dx_models[f"your eps defaults to {candidate_default:g}; the spec's default is {SPEC_EPS:g}"] = lambda: rowwise_dx(
            x2, g2, dout2, candidate_default
        )
    dx_models.update(rowwise_dx_mistakes(x2, g2, dout2, case.eps_value))
    return {
        "dx": {label: as_x(model) for label, model in dx_models.items()},
        "dgamma": {
            "dgamma used x instead of the normalized x̂": lambda: as_param((dout2 * x2).sum(axis=0)),
            f"this is dbeta: {out_of_order}": lambda: as_param(dout2.sum(axis=0)),
            f"dgamma was averaged over the {m} rows instead of summed": lambda: as_param((dout2 * xhat).mean(axis=0)),
        },
        "dbeta": {
            f"this is dgamma: {out_of_order}": lambda: as_param((dout2 * xhat).sum(axis=0)),
            f"dbeta was averaged over the {m} rows instead of summed": lambda: as_param(dout2.mean(axis=0)),
        },
    }


def candidate_eps_default(candidate: Any, name: str) -> float | None:
    """The default the candidate's function (or class) `name` gives eps, when it is not the spec's 1e-5."""
    return AffineNorm(forward=name, backward="", stat_axis=1, default_eps=SPEC_EPS).candidate_default_eps(candidate)


def expect_gradient(value: Any, name: str, shape: tuple, dtype: Any = None) -> np.ndarray:
    """expect_array, and for dgamma/dbeta of the wrong shape, what that shape should come from."""
    try:
        return expect_array(value, name, shape=shape, dtype=dtype)
    except CheckFailed as failed:
        if name in ("dgamma", "dbeta") and isinstance(value, np.ndarray) and value.shape != tuple(shape):
            raise CheckFailed(
                f"{failed.message}; {name} takes gamma's shape, normalized_shape {tuple(shape)}: sum over every "
                "leading axis of x (all but the last len(normalized_shape)), however many there are"
            ) from None
        raise
