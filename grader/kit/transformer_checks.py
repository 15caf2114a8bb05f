"""Inputs, calls and models of classic mistakes for the transformer_block problem (one encoder block).

`BlockCase` describes one family of random inputs; `make_inputs` draws them (weights ~ N(0, 1/fan_in), so
every sublayer's output stays O(1)); `call_block` calls a candidate or the reference exactly as the spec's
signature says. `block_model` is an independent NumPy model of the block whose keyword flags each switch
on one classic mistake; `block_diagnoses` turns them into the `diagnoses=` mapping of `assert_close`, so a
wrong answer that matches one is named in the failing row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.kit.compare import assert_close, expect_array
from grader.outcomes import CheckFailed

WEIGHTS = ("W_q", "W_k", "W_v", "W_o")
PARAM_NAMES = WEIGHTS + ("b_q", "b_k", "b_v", "b_o", "W1", "b1", "W2", "b2", "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta")


def param_shapes(d: int, f: int) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {name: (d, d) for name in WEIGHTS}
    shapes.update({name: (d,) for name in ("b_q", "b_k", "b_v", "b_o", "b2", "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta")})
    shapes.update(W1=(d, f), b1=(f,), W2=(f, d))
    return shapes


@dataclass(frozen=True)
class BlockCase:
    name: str
    n: int
    length: int
    d: int
    nhead: int
    f: int
    norm_first: bool | None = None  # None: not passed (the spec's default, post-LN)
    masked: bool = False  # a random key_padding_mask, at least one sequence padded, none fully
    eps: float | None = None  # None: not passed
    dtype: str = "float64"
    data: str = "normal"  # normal | large_scores (scores ~ 1e3: the softmax must subtract the max) | constant_tokens
    x_scale: float = 1.0

    @property
    def mode(self) -> str:
        return {None: "default (post-LN)", False: "post-LN", True: "pre-LN"}[self.norm_first]

    @property
    def label(self) -> str:
        extras = [self.mode]
        extras += ["masked"] if self.masked and "mask" not in self.name else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None and "eps" not in self.name else []
        extras += [self.dtype] if self.dtype != "float64" and self.dtype not in self.name else []
        shape = f"{self.n}×{self.length}×{self.d}, {self.nhead} head{'s' if self.nhead > 1 else ''}"
        return f"{self.name} {shape}, " + ", ".join(extras)

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7


@dataclass
class BlockInputs:
    x: np.ndarray
    params: dict[str, np.ndarray]
    nhead: int
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def norm_first(self) -> bool:
        return bool(self.kwargs.get("norm_first", False))

    @property
    def eps(self) -> float:
        return float(self.kwargs.get("eps", 1e-5))

    @property
    def mask(self) -> np.ndarray | None:
        return self.kwargs.get("key_padding_mask")

    def copy(self) -> BlockInputs:
        kwargs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.kwargs.items()}
        return BlockInputs(self.x.copy(), {k: v.copy() for k, v in self.params.items()}, self.nhead, kwargs)

    def with_kwargs(self, **changes: Any) -> BlockInputs:
        copy = self.copy()
        copy.kwargs.update(changes)
        return copy


def make_params(rng: np.random.Generator, d: int, f: int, dtype: str = "float64", *, qk_scale: float = 1.0) -> dict[str, np.ndarray]:
    params = {}
    for name, shape in param_shapes(d, f).items():
        if name.startswith("W"):
            value = rng.standard_normal(shape) / math.sqrt(shape[0])
            value *= qk_scale if name in ("W_q", "W_k") else 1.0
        elif name.endswith("gamma"):
            value = rng.normal(1.0, 0.3, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        params[name] = value.astype(dtype)
    return params


def random_mask(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """True marks padding. Every sequence keeps at least one real token; one of them is padded if L > 1."""
    lengths = rng.integers(1, length + 1, n)
    if length > 1:
        lengths[rng.integers(n)] = rng.integers(1, length)
    return np.arange(length)[None, :] >= lengths[:, None]


def make_inputs(rng: np.random.Generator, case: BlockCase) -> BlockInputs:
    qk_scale = 30.0 if case.data == "large_scores" else 1.0
    params = make_params(rng, case.d, case.f, case.dtype, qk_scale=qk_scale)
    x = rng.normal(0.0, 1.0, (case.n, case.length, case.d)) * case.x_scale + rng.normal(0.0, 0.5, (case.n, case.length, 1))
    if case.data == "large_scores":
        x *= 3.0
    if case.data == "constant_tokens":  # every feature of some tokens equal: LayerNorm sees a variance of 0
        x[:, ::2, :] = rng.normal(0.0, 1.0, (case.n, x[:, ::2].shape[1], 1))
    kwargs: dict[str, Any] = {}
    if case.norm_first is not None:
        kwargs["norm_first"] = case.norm_first
    if case.eps is not None:
        kwargs["eps"] = case.eps
    if case.masked:
        kwargs["key_padding_mask"] = random_mask(rng, case.n, case.length)
    return BlockInputs(x.astype(case.dtype), params, case.nhead, kwargs)


def call_block(impl: Any, inputs: BlockInputs, fn: str = "encoder_block_forward") -> Any:
    return getattr(impl, fn)(inputs.x, inputs.params, inputs.nhead, **inputs.kwargs)


def expect_output(value: Any, inputs: BlockInputs, what: str = "out") -> np.ndarray:
    return expect_array(value, what, shape=inputs.x.shape, dtype=inputs.x.dtype)


# ---------------------------------------------------------------------- an independent model with mistakes
def _gelu_tanh(h: np.ndarray) -> np.ndarray:
    return 0.5 * h * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * h**3)))


def _gelu_erf(h: np.ndarray) -> np.ndarray:
    return 0.5 * h * (1.0 + np.vectorize(math.erf)(h / math.sqrt(2.0)))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, *, ddof: int = 0, eps_outside: bool = False, axis: int = -1) -> np.ndarray:
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    denom = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return (x - mu) / denom * gamma + beta


def block_model(x: np.ndarray, p: dict, nhead: int, norm_first: bool, eps: float, mask: np.ndarray | None, **m: Any) -> np.ndarray:
    """The block in float64; each keyword in `m` switches on one mistake (see MISTAKES for the names)."""
    x = np.asarray(x, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    n, length, d = x.shape
    dh = d // nhead
    ln_eps = m.get("ln_eps", eps)

    def ln(v: np.ndarray, which: int) -> np.ndarray:
        if m.get("no_norm") == which:
            return v
        which = {1: 2, 2: 1}[which] if m.get("ln_swapped") else which
        return layer_norm(
            v, p[f"ln{which}_gamma"], p[f"ln{which}_beta"], ln_eps, ddof=m.get("ln_ddof", 0),
            eps_outside=m.get("ln_eps_outside", False), axis=m.get("ln_axis", -1),
        )  # fmt: skip

    def w(name: str) -> np.ndarray:
        return p[name].T if m.get("transposed") and name in WEIGHTS else p[name]

    def bias(name: str) -> Any:
        return 0.0 if m.get("no_qkv_bias") and name in ("b_q", "b_k", "b_v") else p[name]

    def split(v: np.ndarray) -> np.ndarray:
        if m.get("heads_reshape"):
            return v.reshape(n, nhead, length, dh)
        return v.reshape(n, length, nhead, dh).transpose(0, 2, 1, 3)

    def merge(v: np.ndarray) -> np.ndarray:
        if m.get("heads_reshape") or m.get("merge_reshape"):
            return v.reshape(n, length, d)
        return v.transpose(0, 2, 1, 3).reshape(n, length, d)

    def attention(u: np.ndarray) -> np.ndarray:
        q, k, v = (split(u @ w(f"W_{c}") + bias(f"b_{c}")) for c in "qkv")
        scale = {"head": math.sqrt(dh), "model": math.sqrt(d), "none": 1.0}[m.get("scale", "head")]
        scores = q @ k.transpose(0, 1, 3, 2) / scale
        axis = m.get("softmax_axis", -1)
        masking = m.get("mask_mode", "keys")
        padded = None
        if mask is not None and masking != "ignored":
            keys = np.asarray(mask, dtype=bool)
            padded = {
                "keys": keys[:, None, None, :], "inverted": ~keys[:, None, None, :], "queries": keys[:, None, :, None],
                "after_softmax": keys[:, None, None, :],
            }[masking]  # fmt: skip
            if masking != "after_softmax":
                scores = np.where(padded, -np.inf, scores)
        with np.errstate(all="ignore"):
            if m.get("no_max_shift"):
                e = np.exp(scores)
            else:
                e = np.exp(scores - scores.max(axis=axis, keepdims=True))
            weights = e / e.sum(axis=axis, keepdims=True)
        if masking == "after_softmax" and padded is not None:
            weights = np.where(padded, 0.0, weights)
        return merge(weights @ v) @ w("W_o") + p["b_o"]

    def feed_forward(u: np.ndarray) -> np.ndarray:
        h = u @ p["W1"] + p["b1"]
        h = {"relu": lambda a: np.maximum(a, 0), "gelu_tanh": _gelu_tanh, "gelu_erf": _gelu_erf}[m.get("act", "relu")](h)
        return h @ p["W2"] + p["b2"]

    keep1, keep2 = (0.0 if m.get("no_residual") == which else 1.0 for which in (1, 2))
    pre = norm_first != bool(m.get("swapped"))
    if pre:
        u = ln(x, 1)
        x1 = (u if m.get("pre_residual_normalized") else x) * keep1 + attention(u)
        u2 = ln(x if m.get("ff_reads_input") else x1, 2)
        out = (u2 if m.get("pre_residual_normalized") else x1) * keep2 + feed_forward(u2)
        return ln(out, 2) if m.get("final_ln") else out
    x1 = ln(x * keep1 + attention(x), 1)
    if m.get("residual_skips_ln"):  # x1 = x + LN1(SA(x)) style: the norm on the sublayer, not on the sum
        x1 = x + ln(attention(x), 1)
        return x1 + ln(feed_forward(x1), 2)
    return ln((x if m.get("second_residual_input") else x1) * keep2 + feed_forward(x1), 2)


MISTAKES: dict[str, dict[str, Any]] = {
    "norm_first was ignored or inverted (pre-LN and post-LN swapped)": {"swapped": True},
    "the scores were divided by sqrt(d_model); divide by sqrt(d_head) = sqrt(D / nhead)": {"scale": "model"},
    "the scores were not scaled by 1/sqrt(d_head)": {"scale": "none"},
    "the heads were split with a plain reshape to (N, nhead, L, d_head); reshape to (N, L, nhead, d_head), "
    "then move the head axis in front of L": {"heads_reshape": True},
    "the heads were merged with a plain reshape; move the head axis back behind L before reshaping to (N, L, D)": {
        "merge_reshape": True
    },
    "the softmax ran over the query axis; each query's weights over the keys must sum to 1": {"softmax_axis": -2},
    "the mask was inverted: True marks padding (a key nobody may attend to), False a real token": {"mask_mode": "inverted"},
    "the mask hid queries instead of keys: mask the key axis (the last axis of the scores)": {"mask_mode": "queries"},
    "key_padding_mask was ignored": {"mask_mode": "ignored"},
    "the padded keys were zeroed after the softmax, so the remaining weights no longer sum to 1; "
    "set their scores to -inf before the softmax": {"mask_mode": "after_softmax"},
    "the softmax overflowed: subtract each row's max before np.exp": {"no_max_shift": True},
    "the weights were used as (out, in), x @ W.T; the spec stores them (in, out): x @ W + b": {"transposed": True},
    "the q/k/v biases were left out": {"no_qkv_bias": True},
    "LN1 and LN2 used each other's gamma and beta": {"ln_swapped": True},
    "LayerNorm used the unbiased variance (ddof=1)": {"ln_ddof": 1},
    "LayerNorm added eps outside the square root": {"ln_eps_outside": True},
    "the eps argument was ignored (1e-5 hard-coded)": {"ln_eps": 1e-5},
    "LayerNorm normalized over the tokens (axis 1), not over the features of each token (the last axis)": {"ln_axis": 1},
    "the feed-forward used GELU (tanh approximation); the spec's activation is ReLU": {"act": "gelu_tanh"},
    "the feed-forward used GELU; the spec's activation is ReLU": {"act": "gelu_erf"},
    "post-LN: the second residual added the block's input x instead of the first sublayer's output": {
        "second_residual_input": True
    },
    "post-LN: LayerNorm was applied to the sublayer's output before the residual add (x + LN(SA(x))); "
    "post-LN normalizes the sum, LN(x + SA(x))": {"residual_skips_ln": True},
    "pre-LN: the residual added the normalized LN(x) instead of x; the stream itself is never normalized": {
        "pre_residual_normalized": True
    },
    "pre-LN: the feed-forward read LN2 of the block's input instead of the updated stream": {"ff_reads_input": True},
    "pre-LN: an extra LayerNorm was applied at the end; the block's output is the raw stream": {"final_ln": True},
    "the residual connection around self-attention is missing: its sublayer's output replaced the stream instead of "
    "being added to it": {"no_residual": 1},
    "the residual connection around the feed-forward is missing: its sublayer's output replaced the stream instead of "
    "being added to it": {"no_residual": 2},
    "LN1 was never applied: the self-attention sublayer lost its LayerNorm": {"no_norm": 1},
    "LN2 was never applied: the feed-forward sublayer lost its LayerNorm": {"no_norm": 2},
}


def block_diagnoses(inputs: BlockInputs) -> dict[str, Any]:
    """label -> what that mistake returns on these inputs (assert_close names the first one that fits)."""
    found = {}
    for label, flags in MISTAKES.items():
        if "mask_mode" in flags and inputs.mask is None:
            continue
        if flags.get("ln_eps") is not None and inputs.eps == flags["ln_eps"]:
            continue
        found[label] = (lambda flags=flags: block_model(
            inputs.x, inputs.params, inputs.nhead, inputs.norm_first, inputs.eps, inputs.mask, **flags
        ))  # fmt: skip
    return found


def assert_block_close(got: Any, want: np.ndarray, inputs: BlockInputs, rtol: float, what: str = "out") -> None:
    """assert_close with the block's mistakes; NaN/inf answers are matched to a mistake too.

    assert_close can only name a mistake for a finite answer. Two classic mistakes give NaN or inf (a
    softmax without the max shift, an inverted mask on an unpadded sequence): when the candidate's
    non-finite elements sit exactly where a model's do, and the finite ones agree, that model is named.
    """
    diagnoses = block_diagnoses(inputs)
    if isinstance(got, np.ndarray) and got.shape == np.shape(want) and not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        try:
            assert_close(got, want, what, rtol=rtol, dtype=inputs.x.dtype)
        except CheckFailed as failure:
            label = _nonfinite_match(np.asarray(got, dtype=np.float64), diagnoses, rtol)
            if label:
                raise CheckFailed(f"{failure.message}. Looks like {label}") from None
            raise
    assert_close(got, want, what, rtol=rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)


def _nonfinite_match(got: np.ndarray, diagnoses: dict[str, Any], rtol: float) -> str | None:
    """Every mistake whose NaN/inf sit where the candidate's do and whose finite values agree (all of them are
    named when several fit: an answer that is NaN everywhere fits every mistake that gives NaN everywhere)."""
    bad = ~np.isfinite(got)
    fits = []
    for label, model in diagnoses.items():
        with np.errstate(all="ignore"):
            mistaken = np.asarray(model(), dtype=np.float64)
        if mistaken.shape != got.shape or not np.array_equal(~np.isfinite(mistaken), bad):
            continue
        good = ~bad
        scale = max(1.0, float(np.max(np.abs(mistaken[good]))) if good.any() else 1.0)
        if not good.any() or np.all(np.abs(got[good] - mistaken[good]) <= 10 * rtol * scale):
            fits.append(label)
    if len(fits) > 1:
        return "; or ".join(fits) + " (these mistakes give the same answer on this input)"
    return fits[0] if fits else None


def correct_model(inputs: BlockInputs) -> np.ndarray:
    return block_model(inputs.x, inputs.params, inputs.nhead, inputs.norm_first, inputs.eps, inputs.mask)


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(a, dtype=np.float64)))))


def with_identity_norms(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """gamma = 1, beta = 0 in both LayerNorms: a normalized token then has mean 0 and std ≈ 1 exactly."""
    out = dict(params)
    for i in (1, 2):
        out[f"ln{i}_gamma"] = np.ones_like(params[f"ln{i}_gamma"])
        out[f"ln{i}_beta"] = np.zeros_like(params[f"ln{i}_beta"])
    return out


__all__ = [
    "BlockCase",
    "BlockInputs",
    "MISTAKES",
    "assert_block_close",
    "block_diagnoses",
    "block_model",
    "call_block",
    "correct_model",
    "expect_output",
    "make_inputs",
    "make_params",
    "param_shapes",
    "random_mask",
    "rms",
    "with_identity_norms",
]
