"""Models of the norm_lab experiments and of the classic ways to get them wrong, for naming a wrong answer.

`lab_model` and friends recompute each experiment in the grader, independently of the reference, with
keyword flags that switch on one mistake each (draws in the wrong order, the wrong statistics, the last
short batch mishandled ...). The `*_diagnoses` functions turn them into `assert_close`'s `diagnoses=`.
`expect_value_error` checks that a candidate rejects an unknown normalization name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.kit.compare import describe
from grader.outcomes import CandidateRaised, CheckFailed


def _standardize(z: np.ndarray, axis: int, eps: float, *, ddof: int = 0, eps_outside: bool = False) -> np.ndarray:
    mu = z.mean(axis=axis, keepdims=True)
    var = z.var(axis=axis, ddof=ddof, keepdims=True) if z.shape[axis] > ddof else np.zeros_like(mu)
    return (z - mu) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))


def _normalize(z: np.ndarray, norm: str | None, eps: float, **m: Any) -> np.ndarray:
    if m.get("norms_swapped") and norm is not None:
        norm = {"layernorm": "batchnorm", "batchnorm": "layernorm"}[norm]
    if norm is None:
        return z
    return _standardize(z, 1 if norm == "layernorm" else 0, eps, ddof=m.get("ddof", 0), eps_outside=m.get("eps_outside", False))


# The same numbers whether the function never reads its eps or calls a helper without it: the label says both.
EPS_NOT_PASSED = "the eps argument was not used: the default 1e-5 was (eps ignored, or not passed on to the helper that normalizes)"


# ---------------------------------------------------------------------- activation_stats
def activation_stats_model(weight_scale: float, depth: int, width: int, norm: str | None, batch_size: int, seed: int, eps: float, **m: Any) -> np.ndarray:
    if m.get("legacy_rng"):
        legacy = np.random.RandomState(seed)
        draw: Callable[[tuple], np.ndarray] = lambda shape: legacy.standard_normal(shape)  # noqa: E731
    else:
        rng = np.random.default_rng(seed)
        draw = rng.standard_normal
    weights_first = m.get("weights_first")
    ws = [draw((width, width)) * weight_scale for _ in range(depth)] if weights_first else []
    h = draw((batch_size, width))
    stats = np.empty((depth, 2))
    for layer in range(depth):
        w = ws[layer] if weights_first else draw((width, width)) * weight_scale
        pre = (h @ w.T) if m.get("transposed") else h @ w
        z = _normalize(pre, norm, m.get("fixed_eps", eps), **m)
        h = z if m.get("no_relu") else np.maximum(z, 0.0)
        shown = {"post_relu": h, "before_norm": pre}.get(m.get("stats_of", ""), z)
        stats[layer] = shown.mean(), shown.std(ddof=m.get("std_ddof", 0))
    return stats


ACTIVATION_MISTAKES: dict[str, dict[str, Any]] = {
    "the statistics are of the ReLU's output; the spec records z, the ReLU's input (after the normalization)": {"stats_of": "post_relu"},
    "the statistics are of h @ W before the normalization; the spec records z after it": {"stats_of": "before_norm"},
    "the weights were drawn before x; draw x first, then W_1 ... W_depth": {"weights_first": True},
    "the ReLU was left out: the next layer must get h = max(z, 0)": {"no_relu": True},
    "the draws came from the legacy global generator (np.random.seed / np.random.randn); use np.random.default_rng(seed)": {
        "legacy_rng": True
    },
    "the weights were applied transposed (h @ W.T or W @ h); the spec computes h @ W": {"transposed": True},
    "'layernorm' and 'batchnorm' were swapped (statistics over the wrong axis)": {"norms_swapped": True},
    "the normalization used the unbiased variance (ddof=1)": {"ddof": 1},
    "the std of z used ddof=1; the spec's std is np.std's default (ddof=0)": {"std_ddof": 1},
    "eps was added outside the square root": {"eps_outside": True},
    EPS_NOT_PASSED: {"fixed_eps": 1e-5},
}


def activation_diagnoses(args: dict) -> dict[str, Callable[[], np.ndarray]]:
    return {
        label: (lambda flags=flags: activation_stats_model(**args, **flags))
        for label, flags in ACTIVATION_MISTAKES.items()
        if not (flags.get("fixed_eps") is not None and args["eps"] == flags["fixed_eps"])
    }


# ---------------------------------------------------------------------- normalize_in_batches
def in_batches_model(x: np.ndarray, norm: str | None, batch_size: int, eps: float, **m: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if norm != "batchnorm" or m.get("norms_swapped"):
        return _normalize(x, norm, eps, **m)
    if m.get("array_split"):
        chunks = np.array_split(np.arange(n), max(1, math.ceil(n / batch_size)))
    else:
        chunks = [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    out = np.zeros_like(x)
    full = (n // batch_size) * batch_size
    for idx in chunks:
        if m.get("tail") == "whole_batch" and idx[0] >= full:
            out[idx] = _standardize(x, 0, eps)[idx]
        elif m.get("tail") == "zeros" and idx[0] >= full:
            continue
        elif m.get("tail") == "unnormalized" and idx[0] >= full:
            out[idx] = x[idx]
        else:
            out[idx] = _standardize(x[idx], 0, eps, ddof=m.get("ddof", 0), eps_outside=m.get("eps_outside", False))
    return out


BATCH_MISTAKES: dict[str, dict[str, Any]] = {
    "the batches came from np.array_split (near-equal sizes); the spec cuts batches of exactly batch_size rows, "
    "only the last one shorter": {"array_split": True},
    "the last, shorter batch was normalized with the statistics of all of x; it is a batch of its own": {"tail": "whole_batch"},
    "the last, shorter batch was left at zero (dropped); it is a batch of its own": {"tail": "zeros"},
    "the last, shorter batch was left unnormalized; it is a batch of its own": {"tail": "unnormalized"},
    "'layernorm' and 'batchnorm' were swapped (statistics over the wrong axis)": {"norms_swapped": True},
    "the normalization used the unbiased variance (ddof=1)": {"ddof": 1},
    "eps was added outside the square root": {"eps_outside": True},
    EPS_NOT_PASSED: {"fixed_eps": 1e-5},
}


def batch_diagnoses(x: np.ndarray, norm: str | None, batch_size: int, eps: float) -> dict[str, Callable[[], np.ndarray]]:
    return {
        label: (lambda flags=flags: in_batches_model(x, norm, batch_size, flags.get("fixed_eps", eps), **flags))
        for label, flags in BATCH_MISTAKES.items()
        if flags.get("fixed_eps") != eps
    }


def sensitivity_model(x: np.ndarray, norm: str | None, batch_sizes: list[int], eps: float, **m: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    eps = m.get("fixed_eps", eps)
    base = x if m.get("against_input") else in_batches_model(x, norm, x.shape[0], eps)
    out = []
    for b in batch_sizes:
        diff = in_batches_model(x, norm, b, eps) - base
        out.append({"rms": lambda d: np.sqrt(np.mean(d**2)), "mean_abs": lambda d: np.mean(np.abs(d)), "max_abs": lambda d: np.max(np.abs(d)),
                    "per_sample": lambda d: np.mean(np.sqrt(np.mean(d**2, axis=1)))}[m.get("measure", "rms")](diff))  # fmt: skip
    return np.array(out)


SENSITIVITY_MISTAKES: dict[str, dict[str, Any]] = {
    "this is the mean absolute difference; the spec asks for the root of the mean squared difference (RMS)": {"measure": "mean_abs"},
    "this is the largest absolute difference; the spec asks for the RMS over all elements": {"measure": "max_abs"},
    "this is the mean of per-sample RMS values; the spec takes one RMS over all N·D elements": {"measure": "per_sample"},
    "the outputs were compared with x itself; compare with the output for one batch of all N rows": {"against_input": True},
    EPS_NOT_PASSED: {"fixed_eps": 1e-5},
}


def sensitivity_diagnoses(x: np.ndarray, norm: str | None, batch_sizes: list[int], eps: float) -> dict[str, Callable[[], np.ndarray]]:
    return {
        label: (lambda flags=flags: sensitivity_model(x, norm, batch_sizes, eps, **flags))
        for label, flags in SENSITIVITY_MISTAKES.items()
        if flags.get("fixed_eps") != eps
    }


# ---------------------------------------------------------------------- residual_stream_rms
def stream_model(depth: int, width: int, norm_first: bool, batch_size: int, seed: int, eps: float, **m: Any) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, width))

    def size(a: np.ndarray) -> float:
        return float(a.std()) if m.get("std") else float(np.sqrt(np.mean(a**2)))

    def ln(a: np.ndarray) -> np.ndarray:
        return _standardize(a, 0 if m.get("ln_axis0") else 1, m.get("fixed_eps", eps))

    def relu(a: np.ndarray) -> np.ndarray:
        return a if m.get("no_relu") else np.maximum(a, 0.0)

    curve = [size(x)]
    for _ in range(depth):
        w1 = rng.standard_normal((width, width)) / math.sqrt(width)
        w2 = rng.standard_normal((width, width)) / math.sqrt(width)
        if m.get("w_swapped"):
            w1, w2 = w2, w1
        pre = norm_first != bool(m.get("swapped"))
        if pre:
            u = ln(x)
            x = (u if m.get("residual_normalized") else x) + relu(u @ w1) @ w2
        else:
            x = ln(x + relu(x @ w1) @ w2)
        curve.append(size(x))
    return np.array(curve)


STREAM_MISTAKES: dict[str, dict[str, Any]] = {
    "pre-LN and post-LN were swapped (norm_first=True is pre-LN: x = x + FF(LN(x)))": {"swapped": True},
    "this is the standard deviation (mean removed); the spec asks for the RMS, sqrt(mean(x**2))": {"std": True},
    "W1 and W2 were drawn in the wrong order: each block draws W1, then W2": {"w_swapped": True},
    "the feed-forward left out its ReLU: FF(u) = max(u @ W1, 0) @ W2": {"no_relu": True},
    "pre-LN: the residual added LN(x) instead of x; the stream itself is never normalized": {"residual_normalized": True},
    "the LayerNorm took statistics over the batch (axis 0), not over each row's features": {"ln_axis0": True},
    EPS_NOT_PASSED: {"fixed_eps": 1e-5},
}


def stream_diagnoses(args: dict) -> dict[str, Callable[[], np.ndarray]]:
    return {
        label: (lambda flags=flags: stream_model(**args, **flags))
        for label, flags in STREAM_MISTAKES.items()
        if not (flags.get("fixed_eps") is not None and args["eps"] == flags["fixed_eps"])
    }


# ---------------------------------------------------------------------- the norm argument
def expect_value_error(call: Callable[[], Any], fn: str, bad: Any) -> str:
    """`call()` must raise ValueError; returns the candidate's message. NotImplementedError counts as wrong."""
    try:
        value = call()
    except CandidateRaised as raised:
        if "ValueError" in raised.message:
            return raised.message
        raise CheckFailed(f"{fn}(norm={bad!r}) must raise ValueError for an unknown norm; instead: {raised.message}") from None
    raise CheckFailed(
        f"{fn}(norm={bad!r}) returned {describe(value)}; an unknown norm must raise ValueError, not run silently "
        "(a typo would otherwise quietly give you the unnormalized network)"
    )
