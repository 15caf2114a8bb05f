"""Hidden checks for norm_lab. Rows on the scorecard come from these tests and the spec's examples.

Two kinds of hidden rows: exact comparisons with the reference (every function is deterministic given its
inputs and seed), and the observations the spec explains, asserted as properties of your own numbers
(vanishing/exploding activations, normalized layers at any weight scale, BatchNorm's dependence on the
batch, the pre-LN stream's growth). A passing property row draws its curve as a sparkline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, category, expect_array, spec_examples
from normlab_checks import (
    activation_diagnoses,
    batch_diagnoses,
    expect_value_error,
    sensitivity_diagnoses,
    stream_diagnoses,
)
from grader.kit.sparkline import describe_series, shared_scale
from grader.kit.speed import measure_speed
from grader.kit.workload import FreshSeed, Workload

test_examples = spec_examples(__file__)
HE = "sqrt(2/width)"


def he(width: int) -> float:
    return math.sqrt(2.0 / width)


# ====================================================================== cases
@dataclass(frozen=True)
class StatsCase:
    name: str
    scale: float  # in units of He's sqrt(2 / width)
    depth: int
    width: int
    norm: str | None = None
    batch_size: int | None = None  # None: not passed
    seed: int | None = None  # None: drawn from the run's seed
    eps: float | None = None

    @property
    def label(self) -> str:
        norm = self.norm or "no norm"
        return f"{self.name}: {norm}, {self.scale:g}×He, depth {self.depth}, width {self.width}"

    def kwargs(self, rng: np.random.Generator) -> dict:
        kw: dict[str, Any] = {}
        if self.norm is not None:
            kw["norm"] = self.norm
        if self.batch_size is not None:
            kw["batch_size"] = self.batch_size
        kw["seed"] = int(rng.integers(1_000_000)) if self.seed is None else self.seed
        if self.eps is not None:
            kw["eps"] = self.eps
        return kw

    def model_args(self, kw: dict) -> dict:
        return {
            "weight_scale": self.scale * he(self.width), "depth": self.depth, "width": self.width, "norm": kw.get("norm"),
            "batch_size": kw.get("batch_size", 128), "seed": kw["seed"], "eps": kw.get("eps", 1e-5),
        }  # fmt: skip


STATS_CASES = (
    StatsCase("defaults", 1.0, 6, 32),
    StatsCase("small weights", 0.3, 8, 24, batch_size=16),
    StatsCase("large weights", 3.0, 8, 24, batch_size=16),
    StatsCase("layernorm", 0.5, 6, 16, "layernorm", batch_size=20),
    StatsCase("batchnorm", 0.5, 6, 16, "batchnorm", batch_size=20),
    StatsCase("non-default eps", 0.01, 4, 16, "layernorm", batch_size=8, eps=1e-2),
    StatsCase("non-default eps", 0.01, 4, 16, "batchnorm", batch_size=8, eps=1e-2),
    StatsCase("a batch of one", 1.0, 3, 8, "batchnorm", batch_size=1),
    StatsCase("a single layer", 2.0, 1, 12, "layernorm", batch_size=5),
    StatsCase("seed 0", 1.0, 5, 20, batch_size=10, seed=0),
)


@dataclass(frozen=True)
class BatchCase:
    name: str
    n: int
    d: int
    norm: str | None
    batch_size: int
    dtype: str = "float64"
    eps: float | None = None
    small_var: bool = False

    @property
    def label(self) -> str:
        extra = f", {self.dtype}" if self.dtype != "float64" else ""
        extra += f", eps={self.eps:g}" if self.eps is not None else ""
        return f"{self.name}: {self.norm or 'no norm'}, {self.n}×{self.d} in batches of {self.batch_size}{extra}"

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7

    def x(self, rng: np.random.Generator) -> np.ndarray:
        scale = 1e-3 if self.small_var else rng.uniform(0.5, 3.0, self.d)
        return (rng.uniform(-3, 3, self.d) + scale * rng.standard_normal((self.n, self.d))).astype(self.dtype)

    def kwargs(self) -> dict:
        return {} if self.eps is None else {"eps": self.eps}


BATCH_CASES = (
    BatchCase("batches that divide N", 12, 5, "batchnorm", 4),
    BatchCase("a shorter last batch", 11, 4, "batchnorm", 4),
    BatchCase("a last batch of one row", 9, 3, "batchnorm", 4),
    BatchCase("batches of 7", 30, 6, "batchnorm", 7),
    BatchCase("one batch", 8, 5, "batchnorm", 8),
    BatchCase("batch larger than N", 6, 4, "batchnorm", 10),
    BatchCase("layernorm", 10, 6, "layernorm", 3),
    BatchCase("no normalization", 7, 3, None, 2),
    BatchCase("non-default eps", 10, 4, "batchnorm", 5, eps=1e-3, small_var=True),
    BatchCase("non-default eps", 6, 8, "layernorm", 4, eps=1e-3, small_var=True),
    BatchCase("float32", 16, 8, "batchnorm", 6, dtype="float32"),
)

# Every function that takes eps is called with another one somewhere, so that one which does not pass its eps
# on to the helper it calls (batch_size_sensitivity to normalize_in_batches) is caught.
SENSITIVITY_CASES = (
    ("batchnorm", 24, 5, [1, 2, 3, 5, 8, 24], None),
    ("layernorm", 16, 6, [1, 4, 16], None),
    (None, 10, 3, [2, 10], None),
    ("batchnorm", 12, 4, [2, 3, 12], 0.5),  # layernorm's sensitivity is 0 whatever its eps
)

STREAM_CASES = (
    ("pre-LN", dict(depth=6, width=16, norm_first=True, batch_size=12)),
    ("post-LN", dict(depth=6, width=16, norm_first=False, batch_size=12)),
    ("defaults, pre-LN", dict(depth=4, width=24, norm_first=True)),
    ("non-default eps, post-LN", dict(depth=3, width=8, norm_first=False, batch_size=6, eps=0.5)),
    ("non-default eps, pre-LN", dict(depth=3, width=8, norm_first=True, batch_size=6, eps=0.5)),
    ("no blocks", dict(depth=0, width=8, norm_first=True, batch_size=4)),
)


def _stats(candidate: Any, scale: float, depth: int, width: int, **kw: Any) -> np.ndarray:
    value = candidate.activation_stats(scale, depth, width, **kw)
    return expect_array(value, "activation_stats(...)", shape=(depth, 2), dtype=np.float64)


def _stream(candidate: Any, depth: int, width: int, norm_first: bool, **kw: Any) -> np.ndarray:
    value = candidate.residual_stream_rms(depth, width, norm_first, **kw)
    return expect_array(value, "residual_stream_rms(...)", shape=(depth + 1,))


# ====================================================================== contract
@category("contract")
@pytest.mark.parametrize("norm", [None, "layernorm", "batchnorm"], ids=["no norm", "layernorm", "batchnorm"])
def test_activation_stats_returns_depth_by_two(norm: str | None, candidate: Any) -> None:
    """activation_stats returns a float64 (depth, 2) array"""
    _stats(candidate, 0.2, 3, 8, norm=norm, batch_size=4, seed=1)


@category("contract")
def test_activation_stats_follows_its_seed(candidate: Any) -> None:
    """activation_stats: the same seed gives the same numbers, another seed other numbers"""
    first = _stats(candidate, 0.5, 3, 8, batch_size=6, seed=7)
    again = _stats(candidate, 0.5, 3, 8, batch_size=6, seed=7)
    other = _stats(candidate, 0.5, 3, 8, batch_size=6, seed=8)
    if not np.array_equal(first, again):
        raise CheckFailed("two calls with seed=7 gave different numbers: draw everything from np.random.default_rng(seed)")
    if np.array_equal(first, other):
        raise CheckFailed("seed=7 and seed=8 gave the same numbers: the seed is not used")


@category("contract")
def test_residual_stream_rms_follows_its_seed(candidate: Any) -> None:
    """residual_stream_rms returns (depth + 1,) and follows its seed"""
    first = _stream(candidate, 3, 8, True, batch_size=4, seed=3)
    again = _stream(candidate, 3, 8, True, batch_size=4, seed=3)
    other = _stream(candidate, 3, 8, True, batch_size=4, seed=4)
    if not np.array_equal(first, again):
        raise CheckFailed("two calls with seed=3 gave different numbers: draw everything from np.random.default_rng(seed)")
    if np.array_equal(first, other):
        raise CheckFailed("seed=3 and seed=4 gave the same numbers: the seed is not used")


@category("contract")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_normalize_in_batches_shape_dtype_and_inputs(dtype: str, candidate: Any, rng: np.random.Generator) -> None:
    """normalize_in_batches returns x's shape and dtype and leaves x alone"""
    x = rng.standard_normal((9, 4)).astype(dtype)
    before = x.copy()
    result = candidate.normalize_in_batches.run(x, "batchnorm", 4, return_args=True)
    expect_array(result.value, "normalize_in_batches(x, 'batchnorm', 4)", shape=x.shape, dtype=x.dtype)
    after = (result.args_after or [None])[0]
    if not (isinstance(after, np.ndarray) and np.array_equal(after, before)):
        raise CheckFailed("normalize_in_batches modified x in place; the caller still needs it: work on a copy")


@category("contract")
def test_batch_size_sensitivity_shape_and_inputs(candidate: Any, rng: np.random.Generator) -> None:
    """batch_size_sensitivity returns one number per batch size and leaves x alone"""
    x = rng.standard_normal((8, 3))
    before = x.copy()
    result = candidate.batch_size_sensitivity.run(x, "batchnorm", [1, 2, 8], return_args=True)
    expect_array(result.value, "batch_size_sensitivity(x, 'batchnorm', [1, 2, 8])", shape=(3,))
    after = (result.args_after or [None])[0]
    if not (isinstance(after, np.ndarray) and np.array_equal(after, before)):
        raise CheckFailed("batch_size_sensitivity modified x in place; the caller still needs it: work on a copy")


@category("contract")
def test_finite_for_a_batch_of_one(candidate: Any, rng: np.random.Generator) -> None:
    """BatchNorm of a one-row batch is finite (zeros), not NaN"""
    x = rng.standard_normal((5, 3))
    out = expect_array(candidate.normalize_in_batches(x, "batchnorm", 1), "normalize_in_batches(x, 'batchnorm', 1)", shape=x.shape)
    if not np.all(np.isfinite(out)):
        raise CheckFailed("a batch of one row gave NaN or inf: its variance is 0, so eps must sit inside the square root")


@category("contract")
@pytest.mark.parametrize("fn", ["activation_stats", "normalize_in_batches", "batch_size_sensitivity"])
def test_unknown_norm_raises_value_error(fn: str, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """an unknown norm name raises ValueError"""
    x = rng.standard_normal((4, 3))
    calls = {
        "activation_stats": lambda norm: candidate.activation_stats(0.5, 2, 4, norm=norm, batch_size=3, seed=0),
        "normalize_in_batches": lambda norm: candidate.normalize_in_batches(x, norm, 2),
        "batch_size_sensitivity": lambda norm: candidate.batch_size_sensitivity(x, norm, [2]),
    }
    calls[fn]("layernorm")  # a valid name first: an unfinished function fails here, as "not implemented yet"
    message = expect_value_error(lambda: calls[fn]("groupnorm"), fn, "groupnorm")
    report.note(message.split(" (line")[0])


# ====================================================================== hidden: against the reference
@category("hidden")
@pytest.mark.parametrize("case", STATS_CASES, ids=[c.label for c in STATS_CASES])
def test_activation_stats_matches_reference(case: StatsCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """activation_stats vs reference"""
    kw = case.kwargs(rng)
    scale = case.scale * he(case.width)
    want = reference.activation_stats(scale, case.depth, case.width, **kw)
    got = candidate.activation_stats(scale, case.depth, case.width, **kw)
    assert_close(got, want, "stats", rtol=1e-7, dtype=np.float64, diagnoses=activation_diagnoses(case.model_args(kw)))


@category("hidden")
@pytest.mark.parametrize("case", BATCH_CASES, ids=[c.label for c in BATCH_CASES])
def test_normalize_in_batches_matches_reference(case: BatchCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """normalize_in_batches vs reference"""
    x = case.x(rng)
    want = reference.normalize_in_batches(x.copy(), case.norm, case.batch_size, **case.kwargs())
    got = candidate.normalize_in_batches(x, case.norm, case.batch_size, **case.kwargs())
    eps = case.eps if case.eps is not None else 1e-5
    assert_close(got, want, "out", rtol=case.rtol, dtype=x.dtype, diagnoses=batch_diagnoses(x, case.norm, case.batch_size, eps))


@category("hidden")
@pytest.mark.parametrize(
    "norm, n, d, sizes, eps", SENSITIVITY_CASES,
    ids=[f"{c[0] or 'no norm'}, batch sizes {c[3]}" + (f", eps={c[4]:g}" if c[4] else "") for c in SENSITIVITY_CASES],
)  # fmt: skip
def test_batch_size_sensitivity_matches_reference(
    norm: str | None, n: int, d: int, sizes: list[int], eps: float | None, candidate: Any, reference: Any, rng: np.random.Generator
) -> None:
    """batch_size_sensitivity vs reference"""
    x = rng.uniform(-2, 2, d) + rng.uniform(0.5, 2, d) * rng.standard_normal((n, d))
    kw = {} if eps is None else {"eps": eps}
    want = reference.batch_size_sensitivity(x.copy(), norm, list(sizes), **kw)
    got = candidate.batch_size_sensitivity(x, norm, list(sizes), **kw)
    diagnoses = sensitivity_diagnoses(x, norm, list(sizes), kw.get("eps", 1e-5))
    assert_close(got, want, "sensitivity", rtol=1e-7, atol=1e-9, diagnoses=diagnoses)


@category("hidden")
@pytest.mark.parametrize("name, kw", STREAM_CASES, ids=[c[0] for c in STREAM_CASES])
def test_residual_stream_rms_matches_reference(name: str, kw: dict, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """residual_stream_rms vs reference"""
    kw = {**kw, "seed": int(rng.integers(1_000_000))}
    args = (kw.pop("depth"), kw.pop("width"), kw.pop("norm_first"))
    want = reference.residual_stream_rms(*args, **kw)
    got = candidate.residual_stream_rms(*args, **kw)
    model_args = {"depth": args[0], "width": args[1], "norm_first": args[2], "batch_size": kw.get("batch_size", 64),
                  "seed": kw["seed"], "eps": kw.get("eps", 1e-5)}  # fmt: skip
    assert_close(got, want, "rms", rtol=1e-7, diagnoses=stream_diagnoses(model_args))


# ====================================================================== hidden: the observations, as properties
DEPTH, WIDTH = 15, 64


@category("hidden")
def test_small_weights_activations_vanish(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """no norm, weights 0.5×He: the activations' std shrinks layer after layer"""
    std = _stats(candidate, 0.5 * he(WIDTH), DEPTH, WIDTH, seed=int(rng.integers(1_000_000)))[:, 1]
    if not (np.all(np.diff(std) < 0) and std[-1] < 1e-3 * std[0]):
        raise CheckFailed(
            f"with weights 0.5×{HE} every layer multiplies the variance by about width·scale²/2 = 1/4, so the std "
            f"should halve at every layer and end below 1e-3 of the first; got {_series(std)}"
        )
    report.note(describe_series("std by layer", std))


@category("hidden")
def test_large_weights_activations_explode(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """no norm, weights 2×He: the activations' std grows layer after layer"""
    std = _stats(candidate, 2.0 * he(WIDTH), DEPTH, WIDTH, seed=int(rng.integers(1_000_000)))[:, 1]
    if not (np.all(np.diff(std) > 0) and std[-1] > 1e3 * std[0]):
        raise CheckFailed(
            f"with weights 2×{HE} every layer multiplies the variance by about width·scale²/2 = 4, so the std "
            f"should double at every layer and end above 1e3 times the first; got {_series(std)}"
        )
    report.note(describe_series("std by layer", std))


@category("hidden")
def test_he_scale_keeps_the_scale(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """no norm, He's scale sqrt(2/width): the std neither vanishes nor explodes"""
    std = _stats(candidate, he(WIDTH), DEPTH, WIDTH, seed=int(rng.integers(1_000_000)))[:, 1]
    ratio = std / std[0]
    if not np.all((ratio > 0.1) & (ratio < 10)):
        raise CheckFailed(
            f"with weights {HE} the variance gain per layer is width·scale²/2 = 1, so the std should stay within "
            f"a factor 10 of the first layer's; got {_series(std)}"
        )
    report.note(describe_series("std by layer", std, log=False, scale=(0.0, float(std.max()))))


@category("hidden")
@pytest.mark.parametrize("norm", ["layernorm", "batchnorm"])
def test_normalized_layers_ignore_the_weight_scale(norm: str, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """with normalization every layer has mean 0 and std ≈ 1, at any weight scale"""
    seed = int(rng.integers(1_000_000))
    small = _stats(candidate, 0.1 * he(WIDTH), DEPTH, WIDTH, norm=norm, seed=seed)
    large = _stats(candidate, 10.0 * he(WIDTH), DEPTH, WIDTH, norm=norm, seed=seed)
    for name, stats in (("0.1×He", small), ("10×He", large)):
        if not (np.abs(stats[:, 0]).max() <= 1e-6 and np.abs(stats[:, 1] - 1).max() <= 1e-2):  # NaN fails too
            raise CheckFailed(
                f"{norm} standardizes every layer's z, so each layer's mean must be 0 and std ≈ 1 (a little under 1 "
                f"because of eps); with weights {name} got means {_series(stats[:, 0])} and stds {_series(stats[:, 1])}"
            )
    gap = float(np.abs(small - large).max())
    if not gap <= 1e-2:
        raise CheckFailed(
            f"{norm} makes each layer blind to the scale of its weights (scaling W scales h @ W, and the "
            f"normalization divides it back out), so 0.1×He and 10×He should give the same statistics up to eps; "
            f"they differ by up to {gap:.3g}"
        )
    plain = _stats(candidate, 0.1 * he(WIDTH), DEPTH, WIDTH, seed=seed)[:, 1]
    report.note(
        f"std by layer at 0.1×He: {describe_series(norm, small[:, 1], log=False, scale=(0.0, 1.0))}; "
        + describe_series("no norm", plain)
    )


@category("hidden")
def test_batchnorm_output_depends_on_batch_mates(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """a sample's BatchNorm output depends on its batch-mates; its LayerNorm output does not"""
    b, d = 8, 16
    x = rng.standard_normal((b, d))
    other = x.copy()
    other[1:] = rng.standard_normal((b - 1, d))  # same first sample, new batch-mates
    outputs = {}
    for norm in ("batchnorm", "layernorm"):
        first = expect_array(candidate.normalize_in_batches(x, norm, b), f"normalize_in_batches(x, {norm!r}, {b})", shape=x.shape)
        second = expect_array(candidate.normalize_in_batches(other, norm, b), f"normalize_in_batches(x2, {norm!r}, {b})", shape=x.shape)
        outputs[norm] = float(np.sqrt(np.mean((first[0] - second[0]) ** 2)))
    if not outputs["layernorm"] <= 1e-12:
        raise CheckFailed(
            f"LayerNorm normalizes each sample by its own statistics, so sample 0's output must not change when its "
            f"batch-mates do; it moved by {outputs['layernorm']:.3g} (RMS)"
        )
    if not outputs["batchnorm"] >= 0.05:
        raise CheckFailed(
            f"BatchNorm normalizes with the batch's statistics, so sample 0's output should change when its "
            f"{b - 1} batch-mates are replaced; it moved by only {outputs['batchnorm']:.3g} (RMS)"
        )
    report.note(
        f"sample 0 with {b - 1} new batch-mates: its batchnorm output moved by {outputs['batchnorm']:.3f} (RMS), "
        f"its layernorm output by {outputs['layernorm']:.0e}"
    )


@category("hidden")
def test_small_batches_make_batchnorm_noisy(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """BatchNorm's outputs drift further from the full-batch ones as the batch shrinks; LayerNorm's never do"""
    n, d = 256, 32
    sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    x = rng.uniform(-2, 2, d) + rng.uniform(0.5, 2, d) * rng.standard_normal((n, d))
    bn = expect_array(candidate.batch_size_sensitivity(x, "batchnorm", sizes), "batch_size_sensitivity(x, 'batchnorm', ...)", shape=(len(sizes),))
    ln = expect_array(candidate.batch_size_sensitivity(x, "layernorm", sizes), "batch_size_sensitivity(x, 'layernorm', ...)", shape=(len(sizes),))
    if not np.abs(ln).max() <= 1e-12:
        raise CheckFailed(f"LayerNorm does not look at the batch, so its sensitivity must be 0 at every batch size; got {_series(ln)}")
    if not (abs(bn[-1]) <= 1e-12 and bn[1] > 2 * bn[6] > 0 and abs(bn[0] - 1) <= 1e-3):
        raise CheckFailed(
            "BatchNorm in batches of N is the full-batch output (sensitivity 0); in batches of 1 every output is 0, "
            "so the sensitivity is the RMS of the full-batch output, ≈ 1; in between, smaller batches give noisier "
            f"statistics (batches of 2 should drift more than twice as far as batches of 64); got {_series(bn)} "
            f"for batch sizes {sizes}"
        )
    report.note(describe_series(f"batchnorm drift at batch sizes {sizes[0]}…{sizes[-1]}", bn, log=False) + "; layernorm 0 at every size")


@category("hidden")
def test_pre_ln_stream_grows_post_ln_stays(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """the pre-LN residual stream grows with depth; post-LN keeps it at RMS ≈ 1"""
    seed = int(rng.integers(1_000_000))
    depth = 8
    pre = _stream(candidate, depth, 64, True, seed=seed)
    post = _stream(candidate, depth, 64, False, seed=seed)
    if not np.abs(post[1:] - 1).max() <= 1e-3:
        raise CheckFailed(f"post-LN ends every block with a LayerNorm, so the stream's RMS after each block is ≈ 1; got {_series(post)}")
    if not pre[-1] > 1.5 * pre[0]:
        raise CheckFailed(
            f"pre-LN adds each block's output to a stream that is never normalized (each adds a variance of about "
            f"0.5), so after {depth} blocks its RMS should be well above the input's; got {_series(pre)}"
        )
    scale = shared_scale(pre, post)
    report.note(
        "stream RMS by block: " + describe_series("pre-LN", pre, log=False, scale=scale) + "; "
        + describe_series("post-LN", post, log=False, scale=scale)
    )  # fmt: skip


def _series(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.3g}" for v in np.asarray(values).ravel()) + "]"


# ====================================================================== speed
def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    """x: n rows of d features for the batch experiments; the networks are min(d, 64) wide with a batch of
    min(n, 256) rows, 4 layers / blocks, and draw their data from a seed that changes with every run."""
    return rng.standard_normal((n, d)), min(d, 64), min(n, 256), FreshSeed()


def speed_run(impl: Any, x: Any, width: int, batch: int, seed: int) -> list:
    return [
        impl.activation_stats(0.1, 4, width, norm="batchnorm", batch_size=batch, seed=seed),
        impl.normalize_in_batches(x, "batchnorm", 8),
        impl.batch_size_sensitivity(x, "batchnorm", [4, 16]),
        impl.residual_stream_rms(4, width, True, batch_size=batch, seed=seed + 1),
    ]


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """all four experiments' time vs reference"""
    sizes = [(512, 128), (256, 128), (128, 64), (64, 32)]
    figure = measure_speed(worker, "norm_lab", Workload(speed_inputs, speed_run), sizes, seed=seed)
    report.speed(figure.ratio, figure.describe())
