"""Inputs, PyTorch references and models of classic mistakes for torch_transformer_block.

The candidate's TransformerEncoderBlock lives in the worker; `torch.nn.TransformerEncoderLayer(...,
batch_first=True)` with the same random weights runs here, in the grader, and is the reference. Weights go
across as nn.TransformerEncoderLayer's state dict, which the spec makes the block's own.

`block_diagnoses` says, for one set of inputs, what each classic mistake would have returned, computed here
with torch from the reference layer's own submodules (norm_first ignored, a mask ignored or inverted, a
residual left out, GELU, an extra LayerNorm at the end ...). For a hand-written attention it adds the
NumPy track's models of the attention's insides (`grader.kit.transformer_checks.block_model`: scores over
sqrt(d_model), heads split with a plain reshape, softmax over the queries ...), so both tracks name the
same mistakes the same way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit.compare import assert_close
from grader.kit.transformer_checks import block_model
from grader.outcomes import CheckFailed

# nn.TransformerEncoderLayer's state dict, in its order: (name, shape as a function of d_model and F).
STATE_SHAPES: tuple[tuple[str, Callable[[int, int], tuple[int, ...]]], ...] = (
    ("self_attn.in_proj_weight", lambda d, f: (3 * d, d)),
    ("self_attn.in_proj_bias", lambda d, f: (3 * d,)),
    ("self_attn.out_proj.weight", lambda d, f: (d, d)),
    ("self_attn.out_proj.bias", lambda d, f: (d,)),
    ("linear1.weight", lambda d, f: (f, d)),
    ("linear1.bias", lambda d, f: (f,)),
    ("linear2.weight", lambda d, f: (d, f)),
    ("linear2.bias", lambda d, f: (d,)),
    ("norm1.weight", lambda d, f: (d,)),
    ("norm1.bias", lambda d, f: (d,)),
    ("norm2.weight", lambda d, f: (d,)),
    ("norm2.bias", lambda d, f: (d,)),
)

# What the forward must not hand its work to (the fused kernel nn.TransformerEncoderLayer's fast path calls).
FUSED_OPS = {"_transformer_encoder_layer_fwd": "torch._transformer_encoder_layer_fwd, nn.TransformerEncoderLayer's fused kernel"}

MASK_KINDS = {
    "causal": "a causal float src_mask (-inf above the diagonal)",
    "causal_bool": "a causal bool src_mask",
    "window": "a bool src_mask (a window of ±1 token)",
    "bias": "an additive float src_mask",
}


@dataclass(frozen=True)
class BlockCase:
    """One family of random inputs: shapes, the variant, the masks and the dtype."""

    n: int
    length: int
    d: int
    nhead: int
    f: int
    norm_first: bool | None = None  # None: not passed (the default, post-LN)
    padding: bool = False  # a random src_key_padding_mask, every sequence with real and padded tokens
    src_mask: str | None = None  # a key of MASK_KINDS
    dtype: str = "float64"
    note: str = ""

    @property
    def mode(self) -> str:
        return {None: "default (post-LN)", False: "post-LN", True: "pre-LN"}[self.norm_first]

    @property
    def label(self) -> str:
        parts = [self.mode, f"{self.n}×{self.length}×{self.d}, {self.nhead} head{'s' if self.nhead > 1 else ''}, F={self.f}"]
        parts += ["padding mask"] if self.padding else []
        parts += [{"causal": "causal float mask", "causal_bool": "causal bool mask", "window": "bool window mask", "bias": "additive float mask"}[self.src_mask]] if self.src_mask else []
        parts += [self.dtype] if self.dtype != "float64" else []
        parts += [self.note] if self.note else []
        return ", ".join(parts)

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-8


@dataclass
class BlockInputs:
    x: np.ndarray
    state: dict[str, np.ndarray]  # nn.TransformerEncoderLayer's state dict, as arrays
    nhead: int
    norm_first: bool
    padding: np.ndarray | None = None  # (N, L) bool, True = padding
    src_mask: np.ndarray | None = None  # (L, L), bool (True = may not attend) or float (added to the scores)

    @property
    def d(self) -> int:
        return self.x.shape[-1]

    @property
    def f(self) -> int:
        return self.state["linear1.weight"].shape[0]

    @functools.cached_property
    def layer64(self) -> Any:
        """The reference layer in float64, built once: every model of a mistake reads its parts (never changes them)."""
        return reference_layer(self).double()

    def mask_kwargs(self, wrap: Callable[[np.ndarray], Any]) -> dict[str, Any]:
        """The masks as forward()'s keyword arguments (only those given), each passed through `wrap`."""
        kwargs = {}
        if self.src_mask is not None:
            kwargs["src_mask"] = wrap(self.src_mask)
        if self.padding is not None:
            kwargs["src_key_padding_mask"] = wrap(self.padding)
        return kwargs


def random_state(rng: np.random.Generator, d: int, f: int, dtype: str = "float64") -> dict[str, np.ndarray]:
    """Weights ~ N(0, 1/fan_in), biases ~ N(0, 0.5²), LayerNorm gains ~ N(1, 0.3²): every part of the block matters."""
    state = {}
    for name, shape in STATE_SHAPES:
        size = shape(d, f)
        if name.startswith("norm") and name.endswith("weight"):
            value = rng.normal(1.0, 0.3, size)
        elif name.endswith("weight"):
            value = rng.standard_normal(size) / math.sqrt(size[1])
        else:
            value = rng.normal(0.0, 0.5, size)
        state[name] = value.astype(dtype)
    return state


def padding_mask(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """True marks padding, at the end of each sequence; every sequence keeps 1..L-1 real tokens.

    With at least one real and one padded key everywhere, the inverted mask is a valid mask too, so the
    mistake of inverting it gives finite numbers the grader can recognise.
    """
    lengths = rng.integers(1, max(length, 2), n)
    return np.arange(length)[None, :] >= lengths[:, None]


def src_mask(kind: str, length: int, rng: np.random.Generator, dtype: str) -> np.ndarray:
    i, j = np.indices((length, length))
    if kind == "causal":
        return np.where(j > i, -np.inf, 0.0).astype(dtype)
    if kind == "causal_bool":
        return j > i
    if kind == "window":
        return np.abs(i - j) > 1
    if kind == "bias":
        return rng.normal(0.0, 1.0, (length, length)).astype(dtype)
    raise ValueError(kind)


def make_inputs(rng: np.random.Generator, case: BlockCase) -> BlockInputs:
    state = random_state(rng, case.d, case.f, case.dtype)
    x = rng.standard_normal((case.n, case.length, case.d)) + rng.normal(0.0, 0.5, (case.n, case.length, 1))
    padding = padding_mask(rng, case.n, case.length) if case.padding else None
    mask = src_mask(case.src_mask, case.length, rng, case.dtype) if case.src_mask else None
    return BlockInputs(x.astype(case.dtype), state, case.nhead, bool(case.norm_first), padding, mask)


# ---------------------------------------------------------------------- the reference, here in the grader
def torch_state(state: dict[str, np.ndarray]) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(np.array(v)) for k, v in state.items()}


def reference_layer(inputs: BlockInputs, *, dropout: float = 0.1, norm_first: bool | None = None, activation: str = "relu") -> Any:
    """nn.TransformerEncoderLayer(batch_first=True) with the inputs' weights, in eval mode and x's dtype."""
    import torch

    layer = torch.nn.TransformerEncoderLayer(
        inputs.d, inputs.nhead, inputs.f, dropout, activation=activation, batch_first=True,
        norm_first=inputs.norm_first if norm_first is None else norm_first,
    )  # fmt: skip
    layer = layer.to(torch.float64 if inputs.x.dtype == np.float64 else torch.float32)
    layer.load_state_dict(torch_state(inputs.state))
    return layer.eval()


# ---------------------------------------------------------------------- models of classic mistakes
def _structural_model(inputs: BlockInputs, **m: Any) -> np.ndarray:
    """The block in float64 from the reference layer's parts; each keyword switches on one mistake."""
    import torch
    import torch.nn.functional as F

    layer = inputs.layer64
    x = torch.from_numpy(inputs.x.astype(np.float64))
    padding = None if inputs.padding is None or m.get("padding") == "ignored" else torch.from_numpy(inputs.padding)
    if padding is not None and m.get("padding") == "inverted":
        padding = ~padding
    mask = None if inputs.src_mask is None or m.get("src_mask") == "ignored" else torch.from_numpy(inputs.src_mask)
    if mask is not None and mask.dtype == torch.bool and m.get("src_mask") == "inverted":
        mask = ~mask
    if mask is not None and mask.dtype != torch.bool:
        mask = mask.double()
    act = {"relu": F.relu, "gelu": F.gelu, "gelu_tanh": lambda h: F.gelu(h, approximate="tanh")}[m.get("act", "relu")]
    norm1, norm2 = (layer.norm2, layer.norm1) if m.get("norms_swapped") else (layer.norm1, layer.norm2)
    if m.get("norm1_twice"):
        norm2 = layer.norm1
    if m.get("no_norm") == 1:
        norm1 = torch.nn.Identity()
    if m.get("no_norm") == 2:
        norm2 = torch.nn.Identity()

    def sa(u: Any) -> Any:
        if m.get("seq_first"):  # an nn.MultiheadAttention built without batch_first: dim 0 taken as the sequence
            t = u.transpose(0, 1)
            return layer.self_attn(t, t, t, need_weights=False)[0].transpose(0, 1)
        return layer.self_attn(u, u, u, attn_mask=mask, key_padding_mask=padding, need_weights=False)[0]

    def ff(u: Any) -> Any:
        return layer.linear2(act(layer.linear1(u)))

    sa_res = 0.0 if m.get("no_sa_residual") else 1.0
    ff_res = 0.0 if m.get("no_ff_residual") else 1.0
    pre = inputs.norm_first != bool(m.get("swapped"))
    with torch.no_grad():
        if pre:
            u = norm1(x)
            x1 = (u if m.get("pre_residual_normalized") else x) * sa_res + sa(u)
            u2 = norm2(x if m.get("ff_reads_input") else x1)
            out = (u2 if m.get("pre_residual_normalized") else x1) * ff_res + ff(u2)
        elif m.get("residual_skips_ln"):  # x + LN(SA(x)): the norm on the sublayer's output, not on the sum
            x1 = x + norm1(sa(x))
            out = x1 + norm2(ff(x1))
        else:
            x1 = norm1(x * sa_res + sa(x))
            out = norm2((x if m.get("second_residual_input") else x1) * ff_res + ff(x1))
        if m.get("final_norm"):
            out = layer.norm2(out)
    return out.numpy()


def numpy_params(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """nn.TransformerEncoderLayer's weights in the NumPy track's layout, (in, out): transformer_block's params."""
    w = np.asarray(state["self_attn.in_proj_weight"], dtype=np.float64)
    b = np.asarray(state["self_attn.in_proj_bias"], dtype=np.float64)
    d = w.shape[1]
    p = {"W_q": w[:d].T, "W_k": w[d : 2 * d].T, "W_v": w[2 * d :].T, "b_q": b[:d], "b_k": b[d : 2 * d], "b_v": b[2 * d :]}
    p.update(W_o=state["self_attn.out_proj.weight"].T, b_o=state["self_attn.out_proj.bias"])
    p.update(W1=state["linear1.weight"].T, b1=state["linear1.bias"], W2=state["linear2.weight"].T, b2=state["linear2.bias"])
    p.update(ln1_gamma=state["norm1.weight"], ln1_beta=state["norm1.bias"], ln2_gamma=state["norm2.weight"], ln2_beta=state["norm2.bias"])
    return {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}


def _structural_mistakes(inputs: BlockInputs) -> dict[str, dict[str, Any]]:
    asked, other = ("pre-LN", "post-LN") if inputs.norm_first else ("post-LN", "pre-LN")
    found: dict[str, dict[str, Any]] = {
        f"norm_first was ignored or inverted: this is the {other} block, and norm_first={inputs.norm_first} asks for {asked}": {
            "swapped": True
        },
    }
    if inputs.padding is not None:
        found["src_key_padding_mask was ignored (pass it to self_attn as key_padding_mask)"] = {"padding": "ignored"}
        found["src_key_padding_mask's polarity was inverted: True marks a padding token (a key nobody may attend to), False a real one"] = {
            "padding": "inverted"
        }
    if inputs.src_mask is not None:
        found["src_mask was ignored (pass it to self_attn as attn_mask)"] = {"src_mask": "ignored"}
        if inputs.src_mask.dtype == bool:
            found["the bool src_mask's polarity was inverted: True means the query may NOT attend to that key"] = {"src_mask": "inverted"}
    found.update(
        {
            "the residual connection around self-attention is missing": {"no_sa_residual": True},
            "the residual connection around the feed-forward is missing": {"no_ff_residual": True},
            "the feed-forward used GELU; its activation is ReLU (nn.TransformerEncoderLayer's default)": {"act": "gelu"},
            "the feed-forward used GELU (tanh approximation); its activation is ReLU": {"act": "gelu_tanh"},
            "an extra LayerNorm was applied to the block's output (a final norm belongs after the last block of a "
            "stack, not inside each block)": {"final_norm": True},
            "norm1 and norm2 were swapped (norm1 goes with self-attention, norm2 with the feed-forward)": {"norms_swapped": True},
            "norm1 was used around both sublayers (norm2 never): norm2 goes with the feed-forward": {"norm1_twice": True},
            "norm1 was never applied: the self-attention sublayer lost its LayerNorm": {"no_norm": 1},
            "norm2 was never applied: the feed-forward sublayer lost its LayerNorm": {"no_norm": 2},
        }
    )
    if inputs.norm_first:
        found["pre-LN: the residual added norm1(x) instead of x; the stream itself is never normalized"] = {"pre_residual_normalized": True}
        found["pre-LN: the feed-forward read norm2 of the block's input instead of the updated stream"] = {"ff_reads_input": True}
    else:
        found["post-LN: LayerNorm was applied to the sublayer's output before the residual add (x + norm(SA(x))); "
              "post-LN normalizes the sum, norm1(x + SA(x))"] = {"residual_skips_ln": True}  # fmt: skip
        found["post-LN: the second residual added the block's input instead of the first sublayer's output"] = {"second_residual_input": True}
    if inputs.padding is None and inputs.src_mask is None:
        found["self_attn was built without batch_first=True: attention ran across the batch (dim 0) instead of along each sequence"] = {
            "seq_first": True
        }
    return found


# The insides of a hand-written attention (and LayerNorm): the NumPy track's model, in PyTorch's words.
ATTENTION_MISTAKES: dict[str, dict[str, Any]] = {
    "the scores were divided by sqrt(d_model); divide by sqrt(d_head) = sqrt(d_model / nhead)": {"scale": "model"},
    "the scores were not scaled by 1/sqrt(d_head)": {"scale": "none"},
    "the heads were split with a plain view to (N, nhead, L, d_head); view as (N, L, nhead, d_head), then transpose(1, 2)": {
        "heads_reshape": True
    },
    "the heads were merged with a plain view; transpose(1, 2) back to (N, L, nhead, d_head) before reshaping to (N, L, d_model)": {
        "merge_reshape": True
    },
    "the softmax ran over the query axis; each query's weights over the keys must sum to 1 (softmax(dim=-1))": {"softmax_axis": -2},
    "the padding mask hid queries instead of keys: mask the key axis (the last axis of the scores)": {"mask_mode": "queries"},
    "the padded keys were zeroed after the softmax, so the remaining weights no longer sum to 1; "
    "fill their scores with -inf before the softmax": {"mask_mode": "after_softmax"},
    "the projections used x @ W; nn.Linear and in_proj_weight store (out, in): F.linear(x, W, b) = x @ W.T + b": {"transposed": True},
    "the q/k/v biases (in_proj_bias) were left out": {"no_qkv_bias": True},
    "LayerNorm used the unbiased variance (unbiased=True is torch.var's default)": {"ln_ddof": 1},
    "LayerNorm added eps outside the square root": {"ln_eps_outside": True},
    "LayerNorm was The Annotated Transformer's, (x - mean) / (std + eps) with the unbiased std; nn.LayerNorm divides by "
    "sqrt(var + eps) with the biased variance": {"ln_ddof": 1, "ln_eps_outside": True},
    "LayerNorm's eps was 1e-6; nn.LayerNorm's default (and the spec's) is 1e-5": {"ln_eps": 1e-6},
    "LayerNorm normalized over the tokens (dim 1), not over the features of each token (the last dim)": {"ln_axis": 1},
}


def block_diagnoses(inputs: BlockInputs) -> dict[str, Callable[[], np.ndarray]]:
    """label -> what that mistake returns on these inputs (assert_close names the first one that fits)."""
    found: dict[str, Callable[[], np.ndarray]] = {
        label: (lambda flags=flags: _structural_model(inputs, **flags)) for label, flags in _structural_mistakes(inputs).items()
    }
    if inputs.src_mask is None:  # the NumPy model knows key padding masks only
        params = numpy_params(inputs.state)
        for label, flags in ATTENTION_MISTAKES.items():
            if "mask_mode" in flags and inputs.padding is None:
                continue
            found[label] = lambda flags=flags: block_model(inputs.x, params, inputs.nhead, inputs.norm_first, 1e-5, inputs.padding, **flags)
    return found


def assert_output_close(got: Any, want: np.ndarray, inputs: BlockInputs, rtol: float, what: str) -> None:
    """assert_close with the block's mistakes named, and a word on NaN when a query lost every key."""
    try:
        assert_close(got, want, what, rtol=rtol, dtype=inputs.x.dtype, diagnoses=block_diagnoses(inputs))
    except CheckFailed as failure:
        if isinstance(got, np.ndarray) and got.shape == want.shape and np.isnan(got).any() and "Looks like" not in failure.message:
            raise CheckFailed(
                f"{failure.message}. NaN in attention usually means a query whose every key was masked: "
                "is a mask's polarity inverted (True = padding / may not attend)?"
            ) from None
        raise


__all__ = [
    "ATTENTION_MISTAKES",
    "BlockCase",
    "BlockInputs",
    "FUSED_OPS",
    "STATE_SHAPES",
    "assert_output_close",
    "block_diagnoses",
    "make_inputs",
    "numpy_params",
    "padding_mask",
    "random_state",
    "reference_layer",
    "src_mask",
    "torch_state",
]
