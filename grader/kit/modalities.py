"""Checks for layernorm_modalities: LayerNorm over images (N, C, H, W), padded text (N, L, D) and time series (N, T, F).

The three layers are `f(x, gamma, beta[, mask], eps=...) -> (out, cache)` with a `(dx, dgamma, dbeta)`
backward, so `NormLayerChecks` carries them once each layer says how its inputs look. `ModalityNorm`
does that: it builds inputs of the layer's layout (with a padding mask and garbage in the padded slots
for text) and names the mistakes that are specific to a layout:

    image        statistics over (H, W) (InstanceNorm), over C per pixel, over the batch (BatchNorm);
                 gamma broadcast along W instead of C (silent when W == C)
    text         padded positions left as normalized garbage, or set to beta; statistics per sequence;
                 dx not zeroed at padded positions; dgamma/dbeta summing over padded positions
    time series  statistics over (T, F) per series, or over T per feature (InstanceNorm over time)

The classic ones (ddof=1, eps outside the square root, E[x^2] - E[x]^2, swapped gamma/beta, missing
paths of the input gradient) come from `grader.kit.mistakes`, applied to the right view of x.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit import mistakes
from grader.kit.compare import Lazy
from grader.kit.layers import AffineNorm, Case, Inputs, NormLayerChecks, grouped_values
from grader.kit.speed import measure_speed
from grader.kit.workload import Workload

Models = dict[str, Callable[[], np.ndarray]]


@dataclass(frozen=True)
class Shaped(Case):
    """A Case with the full shape of x; `padding` says how the text mask looks (other layouts ignore it).

    padding: ragged (sequences of different lengths) | none (no padding) | empty (one sequence is all
    padding) | zeros (ragged, padded slots hold zeros instead of garbage)
    """

    shape: tuple[int, ...] = ()
    padding: str = "ragged"

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype not in ("float64", self.name) else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None else []
        return f"{self.name} {'×'.join(map(str, self.shape))}" + (f", {', '.join(extras)}" if extras else "")


def shaped(name: str, *shape: int, **kwargs: Any) -> Shaped:
    return Shaped(name, shape[0], shape[-1], shape=tuple(shape), **kwargs)


@dataclass
class MaskedInputs(Inputs):
    mask: np.ndarray | None = None

    def copy(self) -> MaskedInputs:
        return MaskedInputs(self.x.copy(), self.gamma.copy(), self.beta.copy(), self.eps, None if self.mask is None else self.mask.copy())


# ---------------------------------------------------------------------- the layouts
INVERTED_MASK = (
    "the mask was read the other way round (True = padding, like PyTorch's key_padding_mask); here True marks the real tokens"
)
STAT_AXES = {"image": (1, 2, 3), "text": (2,), "timeseries": (2,)}
PARAM_AXIS = {"image": 1, "text": 2, "timeseries": 2}  # the axis of x that gamma and beta run along


def make_mask(rng: np.random.Generator, n: int, length: int, padding: str) -> np.ndarray:
    """(N, L) booleans, True for real tokens; real tokens come first in each sequence."""
    if padding == "none":
        return np.ones((n, length), dtype=bool)
    lengths = rng.integers(1, length + 1, n)
    lengths[0] = length  # one full sequence
    if n > 1:
        lengths[1] = max(1, length // 2)  # and one that is surely padded
    if padding == "empty" and n > 2:
        lengths[2] = 0
    return np.arange(length)[None, :] < lengths[:, None]


def _affine(x_hat: np.ndarray, gamma: np.ndarray, beta: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * x_hat.ndim
    shape[axis] = -1
    return x_hat * np.asarray(gamma, dtype=np.float64).reshape(shape) + np.asarray(beta, dtype=np.float64).reshape(shape)


def _pad(y: np.ndarray, mask: np.ndarray | None, fill: Any = 0.0) -> np.ndarray:
    """Padded positions of a (N, L, D) result set to `fill` (0, or a (D,) vector such as beta)."""
    if mask is None:
        return y
    return np.where(mask[..., None], y, np.broadcast_to(np.asarray(fill, dtype=np.float64), y.shape))


def merge_coinciding(models: Models) -> Models:
    """The models, those that give the same answer on this input sharing one row under a joint label.

    On some inputs two mistakes are indistinguishable (with one feature, statistics over T per feature and
    over (T, F) per series are the same thing; zeros in the padding normalize to beta): the message then
    names both instead of guessing. Every model is evaluated, so only when a comparison fails (Lazy).
    """
    return Lazy(lambda: _merged(models))


def _merged(models: Models) -> Models:
    groups: list[tuple[list[str], np.ndarray]] = []
    for label, model in models.items():
        try:
            with np.errstate(all="ignore"):
                value = np.asarray(model(), dtype=np.float64)
        except (ValueError, FloatingPointError, ZeroDivisionError, IndexError):
            continue
        for labels, other in groups:
            if other.shape == value.shape and np.allclose(other, value, rtol=1e-12, atol=1e-12, equal_nan=True):
                labels.append(label)
                break
        else:
            groups.append(([label], value))
    return {
        (labels[0] if len(labels) == 1 else "; or ".join(labels) + " (the same answer on this input)"): (lambda v=value: v)
        for labels, value in groups
    }


def _tokens(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(-1, a.shape[-1])


def _sequence_stats(x: np.ndarray, mask: np.ndarray | None, eps: float) -> np.ndarray:
    """x_hat with one mean and variance per sequence over (L, D): real tokens only when a mask is given."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.ones(x.shape) if mask is None else np.broadcast_to(mask[..., None], x.shape).astype(np.float64)
    count = np.maximum(weight.sum(axis=(1, 2), keepdims=True), 1.0)
    values = np.where(weight > 0, x, 0.0)
    mu = values.sum(axis=(1, 2), keepdims=True) / count
    var = (weight * (values - mu) ** 2).sum(axis=(1, 2), keepdims=True) / count
    return (x - mu) / np.sqrt(var + eps)


@dataclass(frozen=True)
class ModalityNorm(AffineNorm):
    """One of the three layers; `kind` is image | text | timeseries."""

    kind: str = "image"
    stat_axis: int = -1  # not used: STAT_AXES[kind] says where the statistics are taken
    upstream: str = "dout"
    forward: str = ""
    backward: str = ""

    # ------------------------------------------------------------------ inputs
    def shape_of(self, case: Case) -> tuple[int, ...]:
        if isinstance(case, Shaped) and case.shape:
            return case.shape
        return {"image": (case.n, case.d, 2, 3), "text": (case.n, 4, case.d), "timeseries": (case.n, 5, case.d)}[self.kind]

    def make_inputs(self, rng: np.random.Generator, case: Case) -> MaskedInputs:
        shape = self.shape_of(case)
        group = tuple(1 if axis in STAT_AXES[self.kind] else size for axis, size in enumerate(shape))
        x = grouped_values(rng, case.data, shape, group)
        channels = shape[PARAM_AXIS[self.kind]]
        gamma = rng.normal(1.0, 0.5, channels).astype(case.dtype)
        beta = rng.normal(0.0, 1.0, channels).astype(case.dtype)
        mask = None
        if self.kind == "text":
            padding = case.padding if isinstance(case, Shaped) else "ragged"
            mask = make_mask(rng, shape[0], shape[1], padding)
            # What padded slots hold is not the layer's business: garbage, on a scale of its own.
            garbage = np.zeros(shape) if padding == "zeros" else rng.uniform(-50, 50, shape) + 20 * rng.standard_normal(shape)
            x = np.where(mask[..., None], x, garbage)
        return MaskedInputs(x.astype(case.dtype), gamma, beta, case.eps, mask)

    def forward_args(self, inputs: Inputs) -> tuple[tuple, dict]:
        args = (inputs.x, inputs.gamma, inputs.beta)
        if self.kind == "text":
            args += (inputs.mask,)
        return args, ({} if inputs.eps is None else {"eps": inputs.eps})

    # ------------------------------------------------------------------ models of the right answer and of mistakes
    def normalized(self, inputs: MaskedInputs, eps: float, **how: Any) -> np.ndarray:
        """x_hat of the layer (no affine, padding not yet zeroed), with `how` a mistake of mistakes.normalize."""
        x = np.asarray(inputs.x, dtype=np.float64)
        if self.kind == "image":
            return mistakes.normalize(x, (1, 2, 3), eps, **how)
        return mistakes.normalize(_tokens(x), 1, eps, **how).reshape(x.shape)

    def output(self, inputs: MaskedInputs, x_hat: np.ndarray, gamma: Any = None, beta: Any = None) -> np.ndarray:
        gamma = inputs.gamma if gamma is None else gamma
        beta = inputs.beta if beta is None else beta
        return _pad(_affine(x_hat, gamma, beta, PARAM_AXIS[self.kind]), inputs.mask)

    def forward_diagnoses(self, inputs: Inputs, candidate_default: float | None = None) -> dict:
        eps = self.eps(inputs)
        norm = lambda **how: self.normalized(inputs, eps, **how)  # noqa: E731
        out = lambda x_hat, **kw: self.output(inputs, x_hat, **kw)  # noqa: E731
        x = np.asarray(inputs.x, dtype=np.float64)
        found: Models = {}
        if inputs.eps is None and candidate_default is not None:
            label = f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"
            found[label] = lambda: out(self.normalized(inputs, candidate_default))
        found.update(self._layout_forward_mistakes(inputs, eps, x))
        found.update(
            {
                "the variance used ddof=1 (unbiased); normalization uses the biased variance (ddof=0)": lambda: out(norm(ddof=1)),
                "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: out(
                    norm(eps_outside_sqrt=True)
                ),
                "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: out(
                    norm(one_pass=True)
                ),
                "eps was ignored (the eps argument never reached the square root)": lambda: out(self.normalized(inputs, 1e-5)),
                "eps was left out entirely": lambda: out(self.normalized(inputs, 0.0)),
                "gamma and beta were swapped": lambda: out(norm(), gamma=inputs.beta, beta=inputs.gamma),
                "gamma was not applied": lambda: out(norm(), gamma=np.ones(np.shape(inputs.gamma))),
                "beta was not added": lambda: out(norm(), beta=np.zeros(np.shape(inputs.beta))),
            }
        )
        return merge_coinciding(found)

    def _layout_forward_mistakes(self, inputs: MaskedInputs, eps: float, x: np.ndarray) -> Models:
        out = lambda x_hat: self.output(inputs, x_hat)  # noqa: E731
        if self.kind == "image":
            c = x.shape[1]
            return {
                "the statistics were taken over (H, W) per channel: that is InstanceNorm; this LayerNorm pools (C, H, W) per image": lambda: out(
                    mistakes.normalize(x, (2, 3), eps)
                ),
                "the statistics were taken over C per pixel (channels-only LayerNorm); this spec normalizes over (C, H, W) per image": lambda: out(
                    mistakes.normalize(x, 1, eps)
                ),
                "the statistics were taken over (N, H, W) per channel: that is BatchNorm, not LayerNorm": lambda: out(
                    mistakes.normalize(x, (0, 2, 3), eps)
                ),
                "gamma and beta were broadcast along the last axis (W), not the channels: reshape them to (1, C, 1, 1)": lambda: (
                    mistakes.normalize(x, (1, 2, 3), eps) * np.asarray(inputs.gamma, dtype=np.float64).reshape(1, 1, 1, c)
                    + np.asarray(inputs.beta, dtype=np.float64).reshape(1, 1, 1, c)
                ),
            }
        found: Models = {}
        if self.kind == "text":
            x_hat = self.normalized(inputs, eps)
            found.update(
                {
                    "padded positions were not zeroed: they hold the normalized padding; the spec wants exactly 0 there": lambda: _affine(
                        x_hat, inputs.gamma, inputs.beta, 2
                    ),
                    "padded positions hold beta (x̂ was zeroed there, but the shift was still added); the spec wants 0": lambda: _pad(
                        _affine(x_hat, inputs.gamma, inputs.beta, 2), inputs.mask, np.asarray(inputs.beta, dtype=np.float64)
                    ),
                    "the statistics were taken per sequence over (L, D), real tokens only; each token is normalized over its D features": lambda: out(
                        _sequence_stats(x, inputs.mask, eps)
                    ),
                    INVERTED_MASK: lambda: _pad(_affine(x_hat, inputs.gamma, inputs.beta, 2), ~inputs.mask),
                }
            )
        found.update(
            {
                f"the statistics were taken per sequence over ({'L' if self.kind == 'text' else 'T'}, "
                f"{'D' if self.kind == 'text' else 'F'}); each {'token' if self.kind == 'text' else 'time step'} "
                "is normalized over its own features": lambda: out(_sequence_stats(x, None, eps)),
                f"the statistics were taken over {'L per feature' if self.kind == 'text' else 'T per feature (InstanceNorm over time)'}"
                f"; normalize each {'token' if self.kind == 'text' else 'time step'} over its features": lambda: out(
                    mistakes.normalize(x, 1, eps)
                ),
                "the statistics were taken over the batch (axis 0): that is BatchNorm, not LayerNorm": lambda: out(
                    mistakes.normalize(x, 0, eps)
                ),
            }
        )
        return found

    def grad_diagnoses(self, inputs: Inputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, dict]:
        eps = self.eps(inputs)
        x = np.asarray(inputs.x, dtype=np.float64)
        dout = np.asarray(dout, dtype=np.float64)
        mask = inputs.mask
        if self.kind == "image":
            axes, reduce_axes = (1, 2, 3), (0, 2, 3)
            dx_models = mistakes.dx_mistakes(x, inputs.gamma, eps, dout, axes)
            dx_models["dx used statistics over (H, W) per channel (InstanceNorm) instead of (C, H, W)"] = lambda: mistakes.correct_dx(
                x, inputs.gamma, eps, dout, (2, 3)
            )
            right_dx = lambda e: mistakes.correct_dx(x, inputs.gamma, e, dout, axes)  # noqa: E731
            x_hat_all = mistakes.normalize(x, axes, eps)
            real = None
        else:
            reduce_axes = (0, 1)
            tokens, d_tokens = _tokens(x), _tokens(dout)
            as_layer = lambda model: (lambda: _pad(model().reshape(x.shape), mask))  # noqa: E731
            dx_models = {label: as_layer(model) for label, model in mistakes.dx_mistakes(tokens, inputs.gamma, eps, d_tokens, 1).items()}
            right_dx = lambda e: _pad(mistakes.correct_dx(tokens, inputs.gamma, e, d_tokens, 1).reshape(x.shape), mask)  # noqa: E731
            x_hat_all = mistakes.normalize(tokens, 1, eps).reshape(x.shape)
            real = None if mask is None else mask[..., None]
            if mask is not None:
                dx_models["dx is not zero at padded positions: they do not reach the output, so their gradient is 0"] = lambda: (
                    mistakes.correct_dx(tokens, inputs.gamma, eps, d_tokens, 1).reshape(x.shape)
                )
                dx_models[INVERTED_MASK] = lambda: _pad(
                    mistakes.correct_dx(tokens, inputs.gamma, eps, d_tokens, 1).reshape(x.shape), ~mask
                )
        by_param: dict[str, dict] = {"dx": {}}
        if inputs.eps is None and candidate_default is not None:
            label = f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"
            by_param["dx"][label] = lambda: right_dx(candidate_default)
        by_param["dx"].update(dx_models)

        kept = dout if real is None else np.where(real, dout, 0.0)
        x_hat = x_hat_all if real is None else np.where(real, x_hat_all, 0.0)
        x_kept = x if real is None else np.where(real, x, 0.0)
        out_of_order = "the gradients came back out of order: return (dx, dgamma, dbeta)"
        by_param["dgamma"] = {
            "dgamma used x instead of the normalized x̂": lambda: (kept * x_kept).sum(axis=reduce_axes),
            f"this is dbeta: {out_of_order}": lambda: kept.sum(axis=reduce_axes),
        }
        by_param["dbeta"] = {
            "dbeta was averaged instead of summed": lambda: kept.mean(axis=reduce_axes),
            f"this is dgamma: {out_of_order}": lambda: (kept * x_hat).sum(axis=reduce_axes),
        }
        if real is not None:
            by_param["dgamma"]["dgamma summed over the padded positions too; only real tokens reach the output"] = lambda: (
                dout * x_hat_all
            ).sum(axis=reduce_axes)
            by_param["dbeta"]["dbeta summed dout over the padded positions too; only real tokens reach the output"] = lambda: dout.sum(
                axis=reduce_axes
            )
        return {name: merge_coinciding(models) for name, models in by_param.items()}


LAYOUT_NAMES = {"image": "image", "text": "text", "timeseries": "time series"}


def _retitled(fn: types.FunctionType, doc: str) -> types.FunctionType:
    """A copy of a check function (its pytest marks included) under another docstring."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in fn.__dict__.items()})
    copy.__kwdefaults__, copy.__qualname__, copy.__doc__ = fn.__kwdefaults__, fn.__qualname__, doc
    return copy


class ModalityChecks(NormLayerChecks):
    """NormLayerChecks for one layout; the contract rows name the shape of x, and the speed row is the suite's own."""

    layer: ModalityNorm
    test_speed = None  # one speed row times the three layouts together (`measure_all_layers`)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every row of a layout starts with its name ("image: forward vs reference · …"): the three classes
        share their checks, and the scorecard names a row by its check's docstring."""
        super().__init_subclass__(**kwargs)
        prefix = LAYOUT_NAMES[cls.layer.kind]
        names = list(dict.fromkeys(name for klass in reversed(cls.__mro__) for name in vars(klass)))
        for name in names:  # the base's checks first, then the layout's own, each in the order written
            fn = getattr(cls, name, None)
            if name.startswith("test_") and isinstance(fn, types.FunctionType):
                if name in vars(cls):
                    delattr(cls, name)
                setattr(cls, name, _retitled(fn, f"{prefix}: {(fn.__doc__ or name).strip()}"))

    @property
    def contract_cases(self) -> list[Case]:
        return [shaped("x", *self.layer.shape_of(Case("contract", *self.contract_size)))]


# ---------------------------------------------------------------------- speed: all three layers in one workload
def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    c = max(1, d // 16)
    image = rng.random((n, c, 4, 4)) * 4.0 - 1.5
    seqs = max(1, n // 8)
    text = rng.random((seqs, 8, d)) * 4.0 - 1.5
    mask = np.arange(8)[None, :] < rng.integers(1, 9, seqs)[:, None]
    series = rng.random((seqs, 8, d)) * 4.0 - 1.5

    def params(k: int) -> tuple:
        return rng.uniform(0.5, 1.5, k), rng.uniform(-1.0, 1.0, k)

    return (image, params(c), text, mask, params(d), series, params(d))


def speed_run(impl: Any, image: Any, image_params: Any, text: Any, mask: Any, text_params: Any, series: Any, series_params: Any) -> list:
    """Each forward then its backward, the forward's output standing for the upstream gradient."""
    found = []
    for forward, backward, args in (
        (impl.image_layernorm_forward, impl.image_layernorm_backward, (image, image_params[0], image_params[1])),
        (impl.text_layernorm_forward, impl.text_layernorm_backward, (text, text_params[0], text_params[1], mask)),
        (impl.timeseries_layernorm_forward, impl.timeseries_layernorm_backward, (series, series_params[0], series_params[1])),
    ):
        out, cache = forward(*args)
        found += [out, backward(out, cache)]
    return found

# (n, d): n images of d*? values (d // 16 channels of 4×4), n tokens in sequences of 8, each of d features
SPEED_SIZES = ((512, 1024), (128, 1024), (32, 1024), (8, 1024))


def measure_all_layers(worker: Any, seed: int) -> Any:
    return measure_speed(worker, "the six functions", Workload(speed_inputs, speed_run), list(SPEED_SIZES), seed=seed)


__all__ = ["ModalityChecks", "ModalityNorm", "MaskedInputs", "Shaped", "shaped", "make_mask", "measure_all_layers"]
