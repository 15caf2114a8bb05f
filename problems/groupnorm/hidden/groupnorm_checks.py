"""Spatial GroupNorm (CS231n's signatures) for the generic layer checks.

    spatial_groupnorm_forward(x, gamma, beta, G, gn_param) -> (out, cache)
    spatial_groupnorm_backward(dout, cache) -> (dx, dgamma, dbeta)

x is (N, C, H, W); gamma and beta are (1, C, 1, 1); eps comes from the gn_param dict (1e-5 without the
key). `GNCase` adds the spatial size, G and gn_param's other keys to a `Case` (n is N, d is C);
`GroupNormLayer` adapts `AffineNorm` (inputs, calls, speed workload) and models GroupNorm's classic mistakes
— statistics per pixel, per channel (InstanceNorm), per sample (LayerNorm), over channels grouped by
c % G instead of consecutively, or pooled over the batch — so a wrong answer is named; `GroupNormChecks`
is the check class a suite subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit import mistakes
from grader.kit.compare import describe, expect_array
from grader.kit.shaped_gradients import ShapedGradientChecks
from grader.kit.layers import AffineNorm, Case, Inputs, category, unpack
from grader.outcomes import CandidateRaised, CheckFailed

Models = dict[str, Callable[[], np.ndarray]]


@dataclass(frozen=True)
class GNCase(Case):
    """n = N samples, d = C channels; h × w pixels; `groups` = G; `extra` = gn_param's keys besides eps."""

    h: int = 3
    w: int = 4
    groups: int = 2
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype not in ("float64", self.name) else []
        params = dict(self.extra) | ({"eps": self.eps} if self.eps is not None else {})
        extras += [f"gn_param={params}"] if params else []
        return f"{self.name}: {self.n}×{self.d}×{self.h}×{self.w}, G={self.groups}" + (f", {', '.join(extras)}" if extras else "")


def _spatial(case: Case) -> tuple[int, int, int]:
    """h, w, G of any case: a plain `Case` (the generic checks build some) gets GNCase's defaults."""
    groups = getattr(case, "groups", 2)
    return getattr(case, "h", 3), getattr(case, "w", 4), groups if case.d % groups == 0 else 1


@dataclass
class GNInputs(Inputs):
    groups: int = 1
    extra: dict | None = None

    @property
    def gn_param(self) -> dict:
        return dict(self.extra or {}) | ({"eps": self.eps} if self.eps is not None else {})

    def copy(self) -> GNInputs:
        return GNInputs(self.x.copy(), self.gamma.copy(), self.beta.copy(), self.eps, self.groups, dict(self.extra or {}))


# ---------------------------------------------------------------------- models of the classic mistakes
# A "layout" views x (N, C, H, W) so that statistics over some of its axes are the ones a (right or wrong)
# implementation takes; every view is a plain reshape, so the result reshapes straight back.
LAYOUTS: dict[str, Callable[[tuple, int], tuple[tuple, tuple]]] = {
    # consecutive channels form a group: statistics over (C/G, H, W) per sample and group (right)
    "group": lambda s, g: ((s[0], g, s[1] // g, s[2], s[3]), (2, 3, 4)),
    # the same groups, but each pixel on its own: statistics over the group's C/G channels only
    "pixel": lambda s, g: ((s[0], g, s[1] // g, s[2], s[3]), (2,)),
    # channel c in group c % G: groups of channels that are G apart
    "interleaved": lambda s, g: ((s[0], s[1] // g, g, s[2], s[3]), (1, 3, 4)),
    "instance": lambda s, g: (s, (2, 3)),  # per channel, as if G = C
    "layer": lambda s, g: (s, (1, 2, 3)),  # per sample, as if G = 1
    "pooled": lambda s, g: ((s[0], g, s[1] // g, s[2], s[3]), (0, 2, 3, 4)),  # per group, over the whole batch
    "spatial_batch": lambda s, g: (s, (0, 2, 3)),  # per channel over the batch: spatial BatchNorm
}


def gn_normalize(x: np.ndarray, groups: int, eps: float, layout: str = "group", **options: Any) -> np.ndarray:
    """x_hat under `layout` (float64); options are mistakes.normalize's (ddof, eps_outside_sqrt, one_pass)."""
    x = np.asarray(x, dtype=np.float64)
    shape, axes = LAYOUTS[layout](x.shape, groups)
    return mistakes.normalize(x.reshape(shape), axes, eps, **options).reshape(x.shape)


def _channel(param: np.ndarray) -> np.ndarray:
    return np.asarray(param, dtype=np.float64).reshape(1, -1, 1, 1)


def gn_dx(x: np.ndarray, gamma: np.ndarray, groups: int, eps: float, dout: np.ndarray, *, reduce: str = "group",
          mean_path: bool = True, var_path: bool = True, use_gamma: bool = True, count: int | None = None,
          ddof: int = 0) -> np.ndarray:
    """rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)) with the right statistics, the two means
    taken under `reduce` (a layout) and divided by `count` elements (default: the right number)."""
    x = np.asarray(x, dtype=np.float64)
    shape, axes = LAYOUTS["group"](x.shape, groups)
    xg = x.reshape(shape)
    mu, var = xg.mean(axis=axes, keepdims=True), xg.var(axis=axes, ddof=ddof, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = ((xg - mu) * rstd).reshape(x.shape)
    rstd = np.broadcast_to(rstd, shape).reshape(x.shape)
    dxhat = np.asarray(dout, dtype=np.float64) * (_channel(gamma) if use_gamma else 1.0)
    r_shape, r_axes = LAYOUTS[reduce](x.shape, groups)

    def mean(a: np.ndarray) -> np.ndarray:
        summed = a.reshape(r_shape).sum(axis=r_axes, keepdims=True)
        n = count or int(np.prod([r_shape[i] for i in r_axes]))
        return np.broadcast_to(summed / n, r_shape).reshape(x.shape)

    dx = dxhat.copy()
    if mean_path:
        dx -= mean(dxhat)
    if var_path:
        dx -= x_hat * mean(dxhat * x_hat)
    return rstd * dx


@dataclass(frozen=True)
class GroupNormLayer(AffineNorm):
    forward: str = "spatial_groupnorm_forward"
    backward: str = "spatial_groupnorm_backward"
    stat_axis: int = 1

    # ------------------------------------------------------------------ inputs
    def make_inputs(self, rng: np.random.Generator, case: Case) -> GNInputs:
        """Every channel gets its own location and spread (so per-channel, per-pixel and per-group statistics
        all differ), ≈ 1 (`normal`) or ≈ 0.4 (`narrow`, for gradient checks); `tiny_var`, `offset` and
        `constant` set the statistics of each whole group instead."""
        n, c = case.n, case.d
        h, w, g = _spatial(case)
        z = rng.standard_normal((n, c, h, w))
        per_group = (n, g, 1, 1, 1)
        if case.data in ("normal", "narrow"):
            # narrow: spreads ≈ 0.4, so x_hat moves fast and dx is large next to central differences' noise
            loc_range, scale_range = ((-3, 3), (0.5, 3)) if case.data == "normal" else ((-0.5, 0.5), (0.2, 0.6))
            x = rng.uniform(*loc_range, (n, c, 1, 1)) + rng.uniform(*scale_range, (n, c, 1, 1)) * z
        elif case.data in ("tiny_var", "offset", "constant"):
            loc, scale = {
                "tiny_var": (rng.uniform(-1, 1, per_group), 1e-3 * rng.uniform(0.5, 1.5, per_group)),
                "offset": (1e4 + rng.uniform(-10, 10, per_group), 1e-2 * rng.uniform(0.5, 2, per_group)),
                "constant": (rng.uniform(-3, 3, per_group), np.zeros(per_group)),
            }[case.data]
            x = (loc + scale * z.reshape(n, g, c // g, h, w)).reshape(n, c, h, w)
        else:
            raise ValueError(f"unknown data kind {case.data!r}")
        gamma = rng.normal(1.0, 0.5, (1, c, 1, 1))
        beta = rng.normal(0.0, 1.0, (1, c, 1, 1))
        extra = dict(getattr(case, "extra", ()))
        return GNInputs(x.astype(case.dtype), gamma.astype(case.dtype), beta.astype(case.dtype), case.eps, g, extra)

    # ------------------------------------------------------------------ calls
    def forward_args(self, inputs: Inputs) -> tuple[tuple, dict]:
        return (inputs.x, inputs.gamma, inputs.beta, inputs.groups, inputs.gn_param), {}

    def candidate_default_eps(self, candidate: Any) -> float | None:
        return None  # eps is not a parameter here; the defaults tried live in forward_diagnoses

    def grad_shape_hint(self, name: str, got: tuple, want: tuple, x_shape: tuple) -> str:
        if len(got) < len(want):
            return ": keep the summed axes, np.sum(..., axis=(0, 2, 3), keepdims=True), or reshape to gamma.shape"
        return ": sum over the batch and the pixels, axes (0, 2, 3), keeping them with keepdims=True"

    # ------------------------------------------------------------------ known mistakes
    def forward_diagnoses(self, inputs: Inputs, candidate_default: float | None = None) -> Models:
        x, groups, eps = inputs.x, inputs.groups, self.eps(inputs)
        g, b = _channel(inputs.gamma), _channel(inputs.beta)

        def affine(x_hat: np.ndarray, scale: Any = g, shift: Any = b) -> np.ndarray:
            return x_hat * scale + shift

        def normalized(layout: str = "group", eps: float = eps, **options: Any) -> Callable[[], np.ndarray]:
            return lambda: affine(gn_normalize(x, groups, eps, layout, **options))

        found: Models = {
            "the statistics were taken per pixel (over the C/G channels of a group at each (h, w)); GroupNorm "
            "takes them over all of the group's (C/G, H, W) values": normalized("pixel"),
            "the statistics were taken per channel, over (H, W): that is InstanceNorm (GroupNorm with G = C), "
            "whatever G is": normalized("instance"),
            "the statistics were taken over each whole sample (C, H, W): that is LayerNorm (G = 1), whatever G is": (
                normalized("layer")
            ),
            "the groups were formed from channels G apart (channel c in group c % G, e.g. a reshape to "
            "(N, C // G, G, H, W)); a group is C/G consecutive channels, reshape to (N, G, C // G, H, W)": (
                normalized("interleaved")
            ),
            "each group's statistics were pooled over the whole batch (axis 0 included); GroupNorm normalizes "
            "each sample on its own": normalized("pooled"),
            "the statistics were taken per channel over the batch and the pixels: that is spatial BatchNorm": (
                normalized("spatial_batch")
            ),
            "the variance used ddof=1 (unbiased); normalization uses the biased variance (ddof=0)": normalized(ddof=1),
            "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": (
                normalized(eps_outside_sqrt=True)
            ),
            "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": (
                normalized(one_pass=True)
            ),
        }
        if inputs.eps is not None:
            found["gn_param['eps'] was ignored (a fixed eps=1e-5 was used)"] = normalized(eps=self.default_eps)
        else:
            for other in (1e-8, 1e-7, 1e-6, 1e-4, 1e-3):
                found[f"without an 'eps' key in gn_param your code used eps={other:g}; the default is "
                      f"{self.default_eps:g} (gn_param.get('eps', 1e-5))"] = normalized(eps=other)
        found.update({
            "eps was left out entirely": normalized(eps=0.0),
            "gamma and beta were swapped": lambda: affine(gn_normalize(x, groups, eps), b, g),
            "gamma was not applied": lambda: affine(gn_normalize(x, groups, eps), 1.0),
            "beta was not added": lambda: affine(gn_normalize(x, groups, eps), g, 0.0),
        })
        return found

    def grad_diagnoses(self, inputs: Inputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, Models]:
        x, gamma, groups, eps = inputs.x, inputs.gamma, inputs.groups, self.eps(inputs)
        n, c, h, w = x.shape
        dout64 = np.asarray(dout, dtype=np.float64)
        x_hat = gn_normalize(x, groups, eps)
        shape = inputs.gamma.shape

        def dx(**options: Any) -> Callable[[], np.ndarray]:
            return lambda: gn_dx(x, gamma, groups, eps, dout64, **options)

        def channel_sum(a: np.ndarray) -> np.ndarray:
            return a.sum(axis=(0, 2, 3)).reshape(shape)

        dx_models: Models = {}
        if inputs.eps is not None:
            dx_models["backward used eps=1e-5, not gn_param's eps: keep eps (or 1/sqrt(var + eps)) in the cache"] = (
                lambda: gn_dx(x, gamma, groups, self.default_eps, dout64)
            )
        dx_models.update({
            "dx is missing the path through the variance (the −x̂·mean(dx̂·x̂) term)": dx(var_path=False),
            "dx is missing the path through the mean (the −mean(dx̂) term)": dx(mean_path=False),
            "dx treats the mean and variance as constants (only dx̂/std)": dx(mean_path=False, var_path=False),
            "dx ignores gamma (used dout where dout·gamma belongs)": dx(use_gamma=False),
            "dx used the unbiased variance (ddof=1)": lambda: gn_dx(x, gamma, groups, eps, dout64, ddof=1),
            "the backward pass took its means over each whole sample (as if G = 1), not over each group": (
                dx(reduce="layer")
            ),
            "the backward pass took its means per channel (as if G = C), not over each group": dx(reduce="instance"),
            "the backward pass took its means per pixel, not over each group's (C/G, H, W) values": dx(reduce="pixel"),
            "the backward pass grouped channels G apart (c % G) instead of C/G consecutive channels": (
                dx(reduce="interleaved")
            ),
            f"the backward pass divided its sums by H·W = {h * w} instead of (C/G)·H·W = {c // groups * h * w}": (
                dx(count=h * w)
            ),
            f"the backward pass divided its sums by C·H·W = {c * h * w} instead of (C/G)·H·W = {c // groups * h * w}": (
                dx(count=c * h * w)
            ),
            # A backward pass that is right for a wrong forward pass: name the forward's mistake.
            "dx is InstanceNorm's gradient (statistics per channel, in the forward pass too?)": (
                lambda: gn_dx(x, gamma, c, eps, dout64)
            ),
            "dx is LayerNorm's gradient (statistics over each whole sample, in the forward pass too?)": (
                lambda: gn_dx(x, gamma, 1, eps, dout64)
            ),
        })
        out_of_order = "the gradients came back out of order: return (dx, dgamma, dbeta)"
        return {
            "dx": dx_models,
            "dgamma": {
                "dgamma used x instead of the normalized x̂": lambda: channel_sum(dout64 * np.asarray(x, dtype=np.float64)),
                f"this is dbeta: {out_of_order}": lambda: channel_sum(dout64),
                "dgamma was averaged instead of summed": lambda: channel_sum(dout64 * x_hat) / (n * h * w),
                "dgamma used x̂ normalized per channel (InstanceNorm), not per group": (
                    lambda: channel_sum(dout64 * gn_normalize(x, groups, eps, "instance"))
                ),
                "dgamma used x̂ normalized per pixel, not over the group's (C/G, H, W) values": (
                    lambda: channel_sum(dout64 * gn_normalize(x, groups, eps, "pixel"))
                ),
            },
            "dbeta": {
                "dbeta was averaged instead of summed": lambda: channel_sum(dout64) / (n * h * w),
                f"this is dgamma: {out_of_order}": lambda: channel_sum(dout64 * x_hat),
            },
        }

    # ------------------------------------------------------------------ speed
    def speed_inputs(self, rng: np.random.Generator, n: int, c: int, h: int = 1, w: int = 1) -> tuple:
        """Sizes are (N, C, H, W) with G = C // 8 (8 channels per group); the probes arrive as (samples,
        channels) with 1×1 pixels: 256 samples of 256 channels, 4096 of 16 and 16 of 4096."""
        x = rng.random((n, c, h, w)) * 4.0 - 1.5
        return x, rng.uniform(0.5, 1.5, (1, c, 1, 1)), rng.uniform(-1.0, 1.0, (1, c, 1, 1)), max(1, c // 8)

    def speed_run(self, impl: Any, x: Any, gamma: Any, beta: Any, groups: int) -> tuple:
        out, cache = getattr(impl, self.forward)(x, gamma, beta, groups, {})
        return out, getattr(impl, self.backward)(out, cache)


class GroupNormChecks(ShapedGradientChecks):
    """Subclass in a hidden suite with `layer = GroupNormLayer()` and GNCase cases."""

    layer: GroupNormLayer
    contract_size = (2, 6)
    speed_sizes = ((16, 64, 28, 28), (8, 64, 28, 28), (4, 64, 28, 28), (2, 64, 28, 28))

    @property
    def contract_cases(self) -> list[Case]:
        n, d = self.contract_size
        return [GNCase("gamma", n, d, h=3, w=4, groups=2)]

    @category("contract")
    def test_cache_keeps_its_groups(self, candidate: Any, rng: np.random.Generator) -> None:
        """backward uses the G of its own forward call"""
        first = self.layer.make_inputs(rng, GNCase("G=2", 2, 6, h=2, w=3, groups=2))
        second = self.layer.make_inputs(rng, GNCase("G=3", 2, 6, h=2, w=3, groups=3))
        dout = rng.standard_normal(first.x.shape)
        _, cache = self.layer.call_forward(candidate, first)
        alone = self.layer.call_backward(candidate, dout, cache)
        _, cache = self.layer.call_forward(candidate, first)
        self.layer.call_forward(candidate, second)
        later = self.layer.call_backward(candidate, dout, cache)
        for name, a, b in zip(self.layer.grads, alone, later):
            expect_array(a, name)
            if not (isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=0)):
                raise CheckFailed(
                    f"{name} changed when a forward call with G=3 came between forward(x, G=2) and backward(dout, "
                    "cache): keep G (and everything else backward needs) in the cache, not in a global"
                )

    @category("contract")
    def test_gn_param_keys(self, candidate: Any, rng: np.random.Generator) -> None:
        """gn_param without 'eps', or with other keys, is accepted"""
        for extra, eps in (((), None), ((("mode", "train"),), None), ((("mode", "train"),), 1e-5)):
            inputs = self.layer.make_inputs(rng, GNCase("keys", 2, 4, h=2, w=2, groups=2, eps=eps, extra=extra))
            try:
                value = getattr(candidate, self.layer.forward)(*self.layer.forward_args(inputs)[0])
            except CandidateRaised as raised:
                if raised.not_implemented:
                    raise
                raise CandidateRaised(f"with gn_param={inputs.gn_param}: {raised.message}") from None
            try:
                out, _ = unpack(value, self.layer.outputs, self.layer.forward)
            except CheckFailed as failure:
                raise CheckFailed(f"with gn_param={inputs.gn_param}: {failure.message}") from None
            if not isinstance(out, np.ndarray) or out.shape != inputs.x.shape:
                raise CheckFailed(f"with gn_param={inputs.gn_param}: out is {describe(out)}, expected shape {inputs.x.shape}")
