"""Checks for torch_layernorm_modalities: ImageLayerNorm, TextLayerNorm and TimeSeriesLayerNorm as nn.Modules.

The definitions are those of the NumPy problem layernorm_modalities (one mean and variance per image over
(C, H, W), per real token over D, per time step over F; weight and bias per channel / per feature; padded
tokens give exactly 0). Here each layout says how to build its inputs and which trusted module computes the
right answer in the grader:

    image        nn.GroupNorm(1, C)
    text         nn.LayerNorm(D) on the real tokens only, scattered back into zeros (`RealTokenLayerNorm`)
    time series  nn.LayerNorm(F)

A wrong answer is named with the NumPy problem's models of the layout mistakes (`ModalityNorm` in
grader.kit.modalities: InstanceNorm, channels-only, BatchNorm, per-sequence or over-time
statistics, padding left as garbage or set to beta, the mask inverted, ddof=1, eps outside the root ...),
with gamma/beta/dx/dgamma/dbeta renamed to the module's weight/bias/x.grad/weight.grad/bias.grad.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from grader.kit.compare import Lazy, assert_close
from grader.kit.modalities import MaskedInputs, ModalityNorm, make_mask, merge_coinciding
from grader.kit.layers import grouped_values
from grader.kit.torch_kit import ModuleRun
from grader.outcomes import CheckFailed


WRONG_DEFAULT_EPS = (0.0, 1e-12, 1e-8, 1e-6, 1e-3)


class RealTokenLayerNorm(nn.Module):
    """The right TextLayerNorm, trusted: nn.LayerNorm's kernel on the real tokens, scattered into zeros."""

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)
        real = mask.to(torch.bool)
        y = torch.zeros_like(x)
        y[real] = F.layer_norm(x[real], x.shape[-1:], self.weight, self.bias, self.eps)
        return y


@dataclass(frozen=True)
class Layout:
    kind: str  # image | text | timeseries (the NumPy problem's names)
    label: str  # image | text | time series (the row names)
    class_name: str
    builtin_name: str

    @property
    def model(self) -> ModalityNorm:
        return ModalityNorm(kind=self.kind)

    def size_of(self, shape: tuple[int, ...]) -> int:
        """The constructor's argument for inputs of this shape: C for images, D or F otherwise."""
        return shape[1] if self.kind == "image" else shape[-1]

    def builtin(self, size: int, eps: float | None = None) -> nn.Module:
        kwargs = {} if eps is None else {"eps": eps}
        if self.kind == "image":
            return nn.GroupNorm(1, size, **kwargs)
        if self.kind == "text":
            return RealTokenLayerNorm(size, **kwargs)
        return nn.LayerNorm(size, **kwargs)

    def __str__(self) -> str:
        return self.label


IMAGE = Layout("image", "image", "ImageLayerNorm", "nn.GroupNorm(1, C)")
TEXT = Layout("text", "text", "TextLayerNorm", "nn.LayerNorm(D) on the real tokens")
SERIES = Layout("timeseries", "time series", "TimeSeriesLayerNorm", "nn.LayerNorm(F)")
LAYOUTS = (IMAGE, TEXT, SERIES)


@dataclass(frozen=True)
class Case:
    """One hidden case. data: normal | tiny_var | offset (mean 1e4, float64) | offset32 (1000 + N(0, 1)) | constant.
    padding (text): ragged | none (a mask of all True) | nomask (no mask passed) | empty | zeros."""

    name: str
    shape: tuple[int, ...]
    data: str = "normal"
    eps: float | None = None
    dtype: str = "float64"
    padding: str = "ragged"

    def __str__(self) -> str:
        return f"{self.name} {'×'.join(map(str, self.shape))}"

    @property
    def rtol(self) -> float:
        base = 1e-4 if self.dtype == "float32" else 1e-8
        return base * (10 if self.data != "normal" else 1)


@dataclass
class CaseInputs:
    x: np.ndarray
    mask: np.ndarray | None  # None: no mask is passed
    weight: np.ndarray
    bias: np.ndarray
    eps: float | None

    def as_masked(self, layout: Layout) -> MaskedInputs:
        """The NumPy problem's view of these inputs, for its models of the mistakes (no mask: all tokens real)."""
        mask = self.mask
        if layout.kind == "text" and mask is None:
            mask = np.ones(self.x.shape[:2], dtype=bool)
        return MaskedInputs(self.x, self.weight, self.bias, self.eps, mask)


def make_inputs(layout: Layout, case: Case, rng: np.random.Generator) -> CaseInputs:
    shape = case.shape
    stat_dims = (1, 2, 3) if layout.kind == "image" else (2,)
    group = tuple(1 if axis in stat_dims else size for axis, size in enumerate(shape))
    if case.data == "offset32":
        x = 1000.0 + rng.standard_normal(shape)
    else:
        x = grouped_values(rng, case.data, shape, group)
    size = layout.size_of(shape)
    weight = rng.normal(1.0, 0.5, size)
    bias = rng.normal(0.0, 1.0, size)
    mask = None
    if layout.kind == "text" and case.padding != "nomask":
        mask = make_mask(rng, shape[0], shape[1], case.padding)
        if case.padding == "ragged" and shape[1] > 2:
            mask[-1, 0] = False  # padding need not be at the end: one sequence starts with a padded slot
        garbage = np.zeros(shape) if case.padding == "zeros" else rng.uniform(-50, 50, shape) + 20 * rng.standard_normal(shape)
        x = np.where(mask[..., None], x, garbage)
    dtype = np.dtype(case.dtype)
    return CaseInputs(x.astype(dtype), mask, weight.astype(dtype), bias.astype(dtype), case.eps)


# ---------------------------------------------------------------------- naming the mistakes
_RENAMES = (
    ("dx\u0302", "dL/dx\u0302"),  # dx̂ (the gradient reaching x̂) is not x.grad
    (r"\bdout\b", "the upstream gradient"),
    (r"\bdgamma\b", "weight.grad"),
    (r"\bdbeta\b", "bias.grad"),
    (r"\bdx\b(?!\u0302)", "x.grad"),
    (r"\bgamma\b", "weight"),
    (r"\bbeta\b", "bias"),
    (r"used ddof=1 \(unbiased\)", "was unbiased (torch.var's default)"),
    (r" \(ddof=1\)", " (torch.var's default)"),
    (r"\bddof=0\b", "unbiased=False"),
)


def torch_words(label: str) -> str:
    """A NumPy problem's sentence in this problem's words (gamma -> weight, dx -> x.grad ...)."""
    for pattern, word in _RENAMES:
        label = re.sub(pattern, word, label)
    return label


def _renamed(models: dict[str, Callable[[], np.ndarray]]) -> dict[str, Callable[[], np.ndarray]]:
    return {torch_words(label): model for label, model in models.items()}


def forward_diagnoses(layout: Layout, inputs: CaseInputs, *, default_eps: bool = False) -> dict[str, Callable[[], np.ndarray]]:
    masked = inputs.as_masked(layout)
    models = _renamed(layout.model.forward_diagnoses(masked))
    if default_eps:
        for wrong in WRONG_DEFAULT_EPS:
            models[f"eps defaults to {wrong:g}; the spec's default is 1e-5 (as nn.LayerNorm's and nn.GroupNorm's)"] = (
                lambda wrong=wrong: layout.model.output(masked, layout.model.normalized(masked, wrong))
            )
    models["the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means"] = lambda: _one_pass(layout, inputs)
    eps_value = layout.model.eps(masked)
    models["(x - mean) / (x.std() + eps), as in the Annotated Transformer's LayerNorm: Tensor.std is unbiased and eps "
           "sits outside the root; use the biased variance and sqrt(var + eps)"] = lambda: layout.model.output(
        masked, layout.model.normalized(masked, eps_value, ddof=1, eps_outside_sqrt=True))  # fmt: skip
    if layout.kind == "text" and inputs.mask is not None:
        # x * mask before the normalization: padded tokens become zeros, which normalize to 0 and get bias.
        masked_zeros = MaskedInputs(np.where(inputs.mask[..., None], inputs.x, 0.0), inputs.weight, inputs.bias, inputs.eps, None)
        models["the padded tokens were zeroed before the normalization (x * mask), so they come out as bias; "
               "zero the output instead"] = lambda: layout.model.output(masked_zeros, layout.model.normalized(masked_zeros, layout.model.eps(masked)))  # fmt: skip
    return merge_coinciding(models)


def _one_pass(layout: Layout, inputs: CaseInputs) -> np.ndarray:
    """E[x²] − E[x]² computed with torch's own reductions in x's dtype, as a candidate's module would: the
    cancellation error depends on the summation order, so a NumPy model in float64 would not reproduce it."""
    x = torch.from_numpy(inputs.x)
    dims = (1, 2, 3) if layout.kind == "image" else (-1,)
    eps = 1e-5 if inputs.eps is None else inputs.eps
    mean = x.mean(dim=dims, keepdim=True)
    var = (x * x).mean(dim=dims, keepdim=True) - mean * mean
    x_hat = ((x - mean) / torch.sqrt(var + eps)).double().numpy()
    masked = inputs.as_masked(layout)
    return layout.model.output(masked, x_hat)


def grad_diagnoses(layout: Layout, inputs: CaseInputs, dy: np.ndarray) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    found = layout.model.grad_diagnoses(inputs.as_masked(layout), dy)
    return {"x": _renamed(found["dx"]), "weight": _renamed(found["dgamma"]), "bias": _renamed(found["dbeta"])}


def assert_layer_run(got: ModuleRun, want: ModuleRun, layout: Layout, inputs: CaseInputs, dy: np.ndarray | None, *, rtol: float, what: str = "") -> None:
    """Output, x.grad, weight.grad and bias.grad of the candidate's run against the trusted module's, mistakes named."""
    prefix = f"{what}: " if what else ""
    assert_close(got.output, want.output, f"{prefix}output", rtol=rtol, diagnoses=Lazy(lambda: forward_diagnoses(layout, inputs)))
    if dy is None:
        return
    all_grads = Lazy(lambda: grad_diagnoses(layout, inputs, dy))
    grads = {name: Lazy(lambda name=name: all_grads[name]) for name in ("x", "weight", "bias")}
    if not got.input_grads or got.input_grads[0] is None:
        raise CheckFailed(f"{prefix}x received no gradient: the output is cut off from x (.detach(), .data or a NumPy round trip?)")
    assert_close(got.input_grads[0], want.input_grads[0], f"{prefix}x.grad", rtol=rtol, diagnoses=grads["x"])
    for name in ("weight", "bias"):
        if name not in got.param_grads:
            raise CheckFailed(
                f"{prefix}no trainable parameter named {name!r} (found {sorted(got.param_grads)}): register it as nn.Parameter"
            )
        if got.param_grads[name] is None:
            raise CheckFailed(f"{prefix}{name} received no gradient: it is not used in forward, or used detached")
        assert_close(got.param_grads[name], want.param_grads[name], f"{prefix}{name}.grad", rtol=rtol, diagnoses=grads[name])


__all__ = [
    "IMAGE",
    "LAYOUTS",
    "SERIES",
    "TEXT",
    "Case",
    "CaseInputs",
    "Layout",
    "Lazy",
    "RealTokenLayerNorm",
    "assert_layer_run",
    "forward_diagnoses",
    "grad_diagnoses",
    "make_inputs",
    "torch_words",
]
