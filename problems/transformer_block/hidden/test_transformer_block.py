"""Hidden checks for transformer_block. Rows on the scorecard come from these tests and the spec's examples.

Forward only: there is no backward pass, hence no gradcheck rows. Besides the comparisons with the reference,
three checks measure the properties the spec explains: a pre-LN block passes a per-token shift of its input
straight through, a post-LN block's output tokens are always normalized, and a stack of blocks grows the
pre-LN stream while the post-LN one stays normalized.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, category, describe, spec_examples
from grader.kit.speed import Probe, Probes, measure_speed
from grader.kit.workload import Workload
from grader.kit.sparkline import describe_series, shared_scale
from grader.kit.transformer_checks import (
    BlockCase,
    BlockInputs,
    assert_block_close,
    call_block,
    expect_output,
    make_inputs,
    make_params,
    rms,
    with_identity_norms,
)

FN = "encoder_block_forward"
test_examples = spec_examples(__file__)

HIDDEN_CASES = (
    BlockCase("2 heads", 2, 5, 8, 2, 16, norm_first=False),
    BlockCase("2 heads", 2, 5, 8, 2, 16, norm_first=True),
    BlockCase("one head", 3, 4, 6, 1, 10, norm_first=False),
    BlockCase("one head", 3, 4, 6, 1, 10, norm_first=True),
    BlockCase("d_head = 1", 2, 6, 4, 4, 8, norm_first=False),
    BlockCase("d_head = 1", 2, 6, 4, 4, 8, norm_first=True),
    BlockCase("a single token", 3, 1, 6, 2, 12, norm_first=False),
    BlockCase("a single token", 3, 1, 6, 2, 12, norm_first=True),
    BlockCase("narrow feed-forward", 2, 7, 12, 3, 5, norm_first=False),
    BlockCase("narrow feed-forward", 2, 7, 12, 3, 5, norm_first=True),
    BlockCase("key padding mask", 4, 6, 8, 2, 16, norm_first=False, masked=True),
    BlockCase("key padding mask", 4, 6, 8, 2, 16, norm_first=True, masked=True),
    BlockCase("mask, one head", 3, 5, 6, 1, 8, norm_first=True, masked=True),
    BlockCase("non-default eps", 2, 5, 8, 2, 16, norm_first=False, eps=1e-2),
    BlockCase("non-default eps", 2, 5, 8, 2, 16, norm_first=True, eps=1e-2),
    BlockCase("defaults", 2, 5, 8, 2, 16),
    BlockCase("large scores", 2, 6, 8, 2, 16, norm_first=False, data="large_scores"),
    BlockCase("large scores", 2, 6, 8, 2, 16, norm_first=True, data="large_scores"),
    BlockCase("float32", 2, 6, 16, 4, 32, norm_first=False, dtype="float32", masked=True),
    BlockCase("float32", 2, 6, 16, 4, 32, norm_first=True, dtype="float32", masked=True),
    BlockCase("bigger", 3, 12, 32, 4, 64, norm_first=True, masked=True),
)


def _compare(got: Any, inputs: BlockInputs, want: np.ndarray, rtol: float, what: str = "out") -> None:
    assert_block_close(got, want, inputs, rtol, what)


# ====================================================================== contract
@category("contract")
def test_returns_an_array_shaped_like_x(candidate: Any, rng: np.random.Generator) -> None:
    """returns one array shaped like x (N, L, D)"""
    inputs = make_inputs(rng, BlockCase("contract", 2, 3, 4, 2, 8, norm_first=False))
    out = call_block(candidate, inputs)
    if isinstance(out, (tuple, list)):
        raise CheckFailed(f"{FN} must return the output array alone (forward only, no cache); it returned {describe(out)}")
    expect_output(out, inputs)


@category("contract")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_keeps_float32(norm_first: bool, candidate: Any, rng: np.random.Generator) -> None:
    """float32 in, float32 out"""
    inputs = make_inputs(rng, BlockCase("float32", 2, 3, 4, 2, 8, norm_first=norm_first, dtype="float32", masked=True))
    expect_output(call_block(candidate, inputs), inputs)


@category("contract")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_inputs_not_modified(norm_first: bool, candidate: Any, rng: np.random.Generator) -> None:
    """x, params and the mask are not modified in place"""
    inputs = make_inputs(rng, BlockCase("contract", 2, 4, 6, 2, 8, norm_first=norm_first, masked=True))
    before = inputs.copy()
    result = getattr(candidate, FN).run(inputs.x, inputs.params, inputs.nhead, return_args=True, **inputs.kwargs)
    expect_output(result.value, inputs)
    args = result.args_after or []
    kwargs = result.kwargs_after or {}
    changed = []
    if len(args) > 0 and not _same(args[0], before.x):
        changed.append("x")
    if len(args) > 1:
        params_after = args[1] if isinstance(args[1], dict) else {}
        changed += [f"params[{k!r}]" for k, v in before.params.items() if not _same(params_after.get(k), v)]
    if "key_padding_mask" in kwargs and not _same(kwargs["key_padding_mask"], before.mask):
        changed.append("key_padding_mask")
    if changed:
        hint = " (pre-LN: x = x + SA(LN1(x)), not x += ..., which writes into the caller's array)" if "x" in changed else ""
        raise CheckFailed(f"{FN} modified its input {', '.join(changed)} in place{hint}; the caller still needs it: work on new arrays")


def _same(after: Any, before: np.ndarray) -> bool:
    return isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(after, before)


@category("contract")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_finite_when_a_token_is_constant(norm_first: bool, candidate: Any, rng: np.random.Generator) -> None:
    """finite output when a token's features are all equal (variance 0 inside LayerNorm)"""
    inputs = make_inputs(rng, BlockCase("constant", 2, 4, 6, 2, 8, norm_first=norm_first, data="constant_tokens"))
    # Zero the attention and feed-forward outputs, so in post-LN too the LayerNorms see the constant tokens.
    for name in ("W_o", "b_o", "W2", "b2"):
        inputs.params[name] = np.zeros_like(inputs.params[name])
    out = expect_output(call_block(candidate, inputs), inputs)
    if not np.all(np.isfinite(out)):
        raise CheckFailed("out contains NaN or inf when a token's features are all equal: is eps inside the square root?")


# ====================================================================== hidden: against the reference
@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=[c.label for c in HIDDEN_CASES])
def test_matches_reference(case: BlockCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """forward vs reference"""
    inputs = make_inputs(rng, case)
    want = call_block(reference, inputs.copy())
    got = call_block(candidate, inputs)
    _compare(got, inputs, want, case.rtol)


@category("hidden")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_mask_without_padding_changes_nothing(norm_first: bool, candidate: Any, rng: np.random.Generator) -> None:
    """an all-False key_padding_mask gives the unmasked result"""
    inputs = make_inputs(rng, BlockCase("mask", 2, 5, 8, 2, 16, norm_first=norm_first))
    plain = call_block(candidate, inputs)
    unpadded = inputs.with_kwargs(key_padding_mask=np.zeros(inputs.x.shape[:2], dtype=bool))
    got = call_block(candidate, unpadded)
    want = expect_output(plain, inputs, "out without a mask")
    _compare(got, unpadded, want, 1e-9, "out with an all-False mask")


@category("hidden")
def test_padded_keys_are_invisible(candidate: Any, rng: np.random.Generator) -> None:
    """changing a padded token does not change the real tokens' outputs"""
    inputs = make_inputs(rng, BlockCase("mask", 3, 6, 8, 2, 16, norm_first=True, masked=True))
    mask = inputs.mask
    first = expect_output(call_block(candidate, inputs), inputs)
    changed = inputs.copy()
    changed.x[mask] += rng.normal(0.0, 5.0, changed.x[mask].shape)
    second = expect_output(call_block(candidate, changed), changed)
    real = ~mask
    drift = float(np.abs(second[real] - first[real]).max())
    if not drift <= 1e-9 * max(1.0, float(np.abs(first[real]).max())):  # NaN fails too
        raise CheckFailed(
            f"the real tokens' outputs changed by up to {drift:.3g} when only padded tokens changed: a padded key "
            "must get no attention weight at all (True in key_padding_mask = padding; set those scores to -inf "
            "before the softmax, over the key axis)"
        )


# ====================================================================== hidden: the properties the spec explains
@category("hidden")
def test_pre_ln_passes_a_shift_straight_through(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """pre-LN: shifting every feature of a token by c shifts its output by exactly c"""
    inputs = make_inputs(rng, BlockCase("shift", 2, 5, 8, 2, 16, norm_first=True, masked=True))
    base = expect_output(call_block(candidate, inputs), inputs)
    shifted = inputs.copy()
    c = rng.uniform(-5.0, 5.0, inputs.x.shape[:2] + (1,))
    shifted.x += c
    moved = expect_output(call_block(candidate, shifted), shifted)
    got, want = moved - base, np.broadcast_to(c, base.shape)
    assert_close(
        got, want, "out(x + c) - out(x) in pre-LN", rtol=1e-8,
        diagnoses={"every path from x to the output goes through a LayerNorm, which cannot see a per-token shift: in "
                   "pre-LN the residual stream carries x to the output untouched, and here it does not (a residual "
                   "connection lost, a residual of LN(x) instead of x, or a LayerNorm at the end)": lambda: np.zeros_like(want)},
    )  # fmt: skip
    report.note(f"out(x + c) - out(x) = c for shifts up to {float(np.abs(c).max()):.1f}: the residual stream carries x unchanged")


@category("hidden")
def test_post_ln_output_tokens_are_normalized(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """post-LN: every output token is normalized by LN2, whatever the input's scale"""
    inputs = make_inputs(rng, BlockCase("normalized", 2, 5, 8, 2, 16, norm_first=False, masked=True, x_scale=100.0))
    out = expect_output(call_block(candidate, inputs), inputs)
    z = (out - inputs.params["ln2_beta"]) / inputs.params["ln2_gamma"]
    means, stds = z.mean(axis=-1), z.std(axis=-1)
    if not (np.abs(means).max() <= 1e-6 and np.abs(stds - 1).max() <= 1e-3):
        worst = np.unravel_index(int(np.argmax(np.abs(stds - 1) + np.abs(means))), means.shape)
        raise CheckFailed(
            f"post-LN's output is LN2(...), so (out - ln2_beta) / ln2_gamma must have mean 0 and std ≈ 1 over the "
            f"features of every token; token {tuple(int(i) for i in worst)} has mean {means[worst]:.3g} and std "
            f"{stds[worst]:.4g}. Is LN2, with ln2_gamma and ln2_beta, the block's last step?"
        )
    report.note(
        f"x scaled ×100 (token RMS {rms(inputs.x):.0f}); every output token: mean {np.abs(means).max():.0e}, "
        f"std within {np.abs(stds - 1).max():.0e} of 1 after undoing ln2's gamma/beta"
    )


@category("hidden")
def test_stacked_blocks_pre_ln_stream_grows(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """stacked blocks: the pre-LN stream grows, the post-LN stream stays normalized"""
    n, length, d, nhead, f, depth = 2, 6, 16, 4, 32, 8
    x0 = rng.standard_normal((n, length, d))
    blocks = [with_identity_norms(make_params(rng, d, f)) for _ in range(depth)]
    curves = {}
    for norm_first in (True, False):
        x, curve = x0, [rms(x0)]
        for params in blocks:
            inputs = BlockInputs(x, params, nhead, {"norm_first": norm_first})
            x = expect_output(call_block(candidate, inputs), inputs)
            curve.append(rms(x))
        curves[norm_first] = np.array(curve)
    pre, post = curves[True], curves[False]
    if not np.all(np.abs(post[1:] - 1.0) < 1e-3):
        raise CheckFailed(
            f"post-LN with gamma = 1, beta = 0 ends every block with LN2, so every block's output has RMS ≈ 1; "
            f"got {', '.join(f'{v:.3g}' for v in post[1:])}"
        )
    if not pre[-1] > 1.5 * pre[0]:
        raise CheckFailed(
            f"pre-LN adds each sublayer's output to an unnormalized stream, so after {depth} blocks its RMS should "
            f"have grown well past the input's {pre[0]:.3g}; got {', '.join(f'{v:.3g}' for v in pre)}"
        )
    scale = shared_scale(pre, post)
    report.note(
        f"stream RMS over {depth} blocks: " + describe_series("pre-LN", pre, log=False, scale=scale)
        + "; " + describe_series("post-LN", post, log=False, scale=scale)
    )  # fmt: skip


# ====================================================================== speed
def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    """n ~ tokens in the batch, d ~ the longest sequence x 16: sequences of L = d // 16 tokens (4 to 256),
    N = n // 16 of them; D = 32 with 4 heads, feed-forward width 64, about a quarter of the keys padded."""
    N, L, D, F = max(1, n // 16), max(4, min(d // 16, 256)), 32, 64

    def w(a: int, b: int) -> np.ndarray:
        return rng.standard_normal((a, b)) / math.sqrt(a)

    p = {"W_q": w(D, D), "W_k": w(D, D), "W_v": w(D, D), "W_o": w(D, D), "W1": w(D, F), "W2": w(F, D)}
    for name, size in (("b_q", D), ("b_k", D), ("b_v", D), ("b_o", D), ("b1", F), ("b2", D), ("ln1_beta", D), ("ln2_beta", D)):
        p[name] = rng.normal(0.0, 0.5, size)
    p["ln1_gamma"], p["ln2_gamma"] = rng.normal(1.0, 0.3, D), rng.normal(1.0, 0.3, D)
    lengths = rng.integers(max(1, 3 * L // 4), L + 1, N)
    mask = np.arange(L)[None, :] >= lengths[:, None]
    return rng.standard_normal((N, L, D)), p, mask


def speed_run(impl: Any, x: Any, p: Any, mask: Any) -> list:
    return [getattr(impl, FN)(x, p, 4, norm_first=first, key_padding_mask=mask) for first in (True, False)]


# 1,024 tokens each: sequences of 64 tokens, many short sequences (a loop over them shows), a few long ones
SPEED_PROBES = Probes(
    Probe((256, 1024), label="16 sequences of 64 tokens"),
    (
        Probe((4096, 64), "a loop over sequences?", "256 sequences of 4 tokens"),
        Probe((64, 4096), "a loop over the tokens of a sequence?", "4 sequences of 256 tokens"),
    ),
)


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """forward (pre-LN and post-LN) time vs reference"""
    sizes = [(1024, 512), (512, 512), (256, 256), (64, 128)]
    figure = measure_speed(worker, FN, Workload(speed_inputs, speed_run), sizes, seed=seed, probes=SPEED_PROBES)
    report.speed(figure.ratio, figure.describe())
