"""Hidden checks for torch_activation_viz. Rows on the scorecard come from these tests and the spec's examples.

The candidate's function runs in the worker and returns plain data. Two kinds of hidden rows: the experiment
recomputed here from the spec (the seed fixes every number), and the pattern the spec explains, asserted
on the candidate's own numbers: plain std vanishing or exploding with depth, LayerNorm holding every layer
at mean 0 and std 1, histograms that agree with the statistics. Passing pattern rows draw sparklines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, category, spec_examples
from grader.kit.activation_viz_checks import (
    DEFAULTS,
    NET_NAMES,
    NETS,
    assert_matches,
    first_non_plain,
    he,
    histogram_moments,
    mistake_models,
    non_plain_message,
    parse_result,
    same_data,
    simulate,
    to_plain,
)
from grader.kit.sparkline import describe_series, sparkline
from grader.kit.torch_kit import run_script

test_examples = spec_examples(__file__)

SMALL = {"depth": 3, "width": 8, "batch_size": 5, "bins": 6}


def _call(candidate: Any, **kwargs: Any) -> tuple[Any, dict]:
    """The candidate's raw result and the full argument set (defaults filled in) it was called with."""
    return candidate.activation_histograms(**kwargs), {**DEFAULTS, **kwargs}


def _parsed(candidate: Any, report: Any = None, **kwargs: Any):
    value, args = _call(candidate, **kwargs)
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kwargs.items())
    parsed = parse_result(value, args["depth"], args["bins"], f"activation_histograms({shown})")
    if report is not None:  # drawn under the scorecard (problem.toml: picture), whether the numbers are right or not
        report.attach(to_plain(parsed))
    return parsed, args


# ====================================================================== contract
@category("contract")
def test_structure(candidate, rng) -> None:
    """a dict with both networks, one dict per layer numbered 1…depth, each with layer, mean, std, hist, edges"""
    _parsed(candidate, **SMALL, seed=int(rng.integers(1_000_000)))
    _parsed(candidate, depth=1, width=4, batch_size=2, bins=1, seed=int(rng.integers(1_000_000)))


@category("contract")
def test_plain_json_data(candidate, rng) -> None:
    """the result is plain data (dicts, lists, ints, floats) that json.dump can save"""
    value, args = _call(candidate, **SMALL, seed=int(rng.integers(1_000_000)))
    parse_result(value, args["depth"], args["bins"])
    found = first_non_plain(value)
    if found:
        raise CheckFailed(non_plain_message(*found))
    for net in NETS:
        for i, record in enumerate(value[net]):
            for key, kind in (("layer", int), ("mean", float), ("std", float)):
                if type(record[key]) is not kind and not (kind is float and type(record[key]) is int):
                    raise CheckFailed(f"result[{net!r}][{i}][{key!r}] is {type(record[key]).__name__}; it should be {kind.__name__}")
            bad = [c for c in record["hist"] if type(c) is not int]
            if bad:
                raise CheckFailed(
                    f"result[{net!r}][{i}]['hist'] holds {type(bad[0]).__name__} counts such as {bad[0]!r}; counts are ints "
                    "(torch.histc returns floats: hist.long().tolist())"
                )


@category("contract")
def test_histograms_count_every_value(candidate, rng) -> None:
    """every hist has bins nonnegative integer counts adding up to batch_size · width; edges increase"""
    for kwargs in (dict(SMALL), {"depth": 4, "width": 16, "batch_size": 32, "bins": 10, "weight_std": 2 * he(16)}):
        kwargs["seed"] = int(rng.integers(1_000_000))
        parsed, args = _parsed(candidate, **kwargs)
        total = args["batch_size"] * args["width"]
        for net in NETS:
            data = parsed[net]
            for i in range(args["depth"]):
                where = f"{NET_NAMES[net]}, layer {i + 1}"
                hist, edges = data.hist[i], data.edges[i]
                if np.any(hist < 0) or np.any(hist != np.round(hist)):
                    raise CheckFailed(f"{where}: hist {hist.tolist()} should hold nonnegative whole counts")
                if hist.sum() != total:
                    hint = (
                        "some values fell outside the edges: the bins must span the layer's [min, max]"
                        if hist.sum() < total
                        else "some values were counted twice"
                    )
                    raise CheckFailed(f"{where}: the counts add up to {int(hist.sum())}, not batch_size · width = {total}: {hint}")
                if not np.all(np.diff(edges) > 0):
                    raise CheckFailed(f"{where}: edges {np.round(edges, 4).tolist()} should increase from the layer's min to its max")


@category("contract")
def test_seed_decides_everything(candidate, rng) -> None:
    """the same seed gives the same result, another seed a different one"""
    seed = int(rng.integers(1_000_000))
    first, _ = _call(candidate, **SMALL, seed=seed)
    again, _ = _call(candidate, **SMALL, seed=seed)
    other, _ = _call(candidate, **SMALL, seed=seed + 1)
    parse_result(first, SMALL["depth"], SMALL["bins"])
    if not same_data(first, again):
        raise CheckFailed(
            f"two calls with seed={seed} gave different results: every random number must come from "
            "torch.Generator().manual_seed(seed), not from torch's global generator"
        )
    if same_data(first, other):
        raise CheckFailed(f"seed={seed} and seed={seed + 1} gave the same result: the seed is not used")


GLOBAL_STATE_DRIVER = """
torch.manual_seed(1234)
first = activation_histograms(depth=2, width=8, batch_size=4, bins=5, seed=7)
after_first = torch.rand(4)
torch.manual_seed(999)
second = activation_histograms(depth=2, width=8, batch_size=4, bins=5, seed=7)
after_second = torch.rand(4)
"""


@category("contract")
def test_global_random_state_not_used_or_reseeded(worker, report) -> None:
    """torch's global generator is neither the source of the numbers nor reseeded (a private torch.Generator)"""
    out = run_script(
        worker, GLOBAL_STATE_DRIVER, outputs=["first", "after_first", "second", "after_second"], names=("activation_histograms",),
        label="activation_histograms under two global seeds",
    )  # fmt: skip
    parse_result(out["first"], 2, 5)
    if not same_data(out["first"], out["second"]):
        raise CheckFailed(
            "the result changed with torch.manual_seed's state (global seed 1234 vs 999, same seed=7): the function draws "
            "from torch's global generator; draw from gen = torch.Generator().manual_seed(seed) (torch.randn(..., generator=gen))"
        )
    if np.array_equal(np.asarray(out["after_first"]), np.asarray(out["after_second"])):
        raise CheckFailed(
            "after the call, torch's global generator is in the same state whatever it was before (global seed 1234 or 999): "
            "the function reseeds it (torch.manual_seed(seed)), which silently resets the random stream of all the code "
            "that runs afterwards; use gen = torch.Generator().manual_seed(seed) instead"
        )
    report.note("same result under global seeds 1234 and 999, and the global stream is not reset")


# ====================================================================== hidden: the experiment recomputed
@dataclass(frozen=True)
class Case:
    name: str
    kwargs: dict = field(default_factory=dict)
    fixed_seed: bool = False  # the seed is the spec's default (or set in kwargs), not drawn

    def __str__(self) -> str:
        return self.name


CASES = (
    Case("all defaults", fixed_seed=True),
    Case("a tiny batch (where n − 1 shows)", {"depth": 2, "width": 6, "batch_size": 2, "bins": 3}),
    Case("dead layers (every value 0)", {"depth": 3, "width": 2, "batch_size": 1, "bins": 4, "weight_std": 0.5, "seed": 0}, fixed_seed=True),
    Case("small weights, 0.3× He", {"depth": 10, "width": 32, "batch_size": 64, "bins": 8, "weight_std": 0.3 * he(32)}),
    Case("large weights, 3× He", {"depth": 8, "width": 32, "batch_size": 64, "bins": 12, "weight_std": 3 * he(32)}),
    Case("tiny weights and eps=1e-2 (eps shows)", {"depth": 4, "width": 16, "batch_size": 32, "bins": 6, "weight_std": 1e-3, "eps": 1e-2}),
    Case("one layer, one bin", {"depth": 1, "width": 8, "batch_size": 16, "bins": 1}),
    Case("a batch of one", {"depth": 5, "width": 24, "batch_size": 1, "bins": 5, "weight_std": he(24)}),
    Case("wide", {"depth": 3, "width": 256, "batch_size": 16, "bins": 30, "weight_std": he(256)}),
    Case("seed 0", {"depth": 4, "width": 16, "batch_size": 8, "bins": 4, "seed": 0}, fixed_seed=True),
)


@category("hidden")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_the_experiment(candidate, rng, report, case: Case) -> None:
    """means, stds, edges and counts match the experiment recomputed from the spec"""
    kwargs = dict(case.kwargs)
    if not case.fixed_seed:
        kwargs["seed"] = int(rng.integers(1_000_000))
    got, args = _parsed(candidate, report if case.name == "all defaults" else None, **kwargs)
    assert_matches(got, simulate(**args), mistake_models(args))


# ====================================================================== hidden: the pattern, on the candidate's own numbers
DEPTH, WIDTH = 12, 64


def _std_series(parsed, net: str) -> np.ndarray:
    return parsed[net].std


def _fmt(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in values) + "]"


@category("hidden")
def test_plain_network_vanishes_with_small_weights(candidate, rng, report) -> None:
    """without LayerNorm, weights 0.5× He: the std shrinks at every layer"""
    parsed, _ = _parsed(candidate, depth=DEPTH, width=WIDTH, weight_std=0.5 * he(WIDTH), seed=int(rng.integers(1_000_000)))
    std = _std_series(parsed, "without_layernorm")
    if not (np.all(np.diff(std) < 0) and std[-1] < 1e-2 * std[0]):
        raise CheckFailed(
            "with weights at half of He's scale each plain layer multiplies the variance by width·std²/2 = 1/4, so the std "
            f"should fall at every layer and end below 1% of the first layer's; got {_fmt(std)}"
        )
    report.note(describe_series("std by layer, without LayerNorm", std))


@category("hidden")
def test_plain_network_explodes_with_large_weights(candidate, rng, report) -> None:
    """without LayerNorm, weights 2× He: the std grows at every layer"""
    parsed, _ = _parsed(candidate, depth=DEPTH, width=WIDTH, weight_std=2 * he(WIDTH), seed=int(rng.integers(1_000_000)))
    std = _std_series(parsed, "without_layernorm")
    if not (np.all(np.diff(std) > 0) and std[-1] > 100 * std[0]):
        raise CheckFailed(
            "with weights at twice He's scale each plain layer multiplies the variance by width·std²/2 = 4, so the std "
            f"should grow at every layer and end above 100 times the first layer's; got {_fmt(std)}"
        )
    report.note(describe_series("std by layer, without LayerNorm", std))


@category("hidden")
def test_layernorm_holds_every_layer(candidate, rng, report) -> None:
    """with LayerNorm, every layer has mean ≈ 0 and std ≈ 1, at 0.1× and at 10× He's scale"""
    seed = int(rng.integers(1_000_000))
    runs = {}
    for scale in (0.1, 10.0):
        parsed, _ = _parsed(candidate, depth=DEPTH, width=WIDTH, weight_std=scale * he(WIDTH), seed=seed)
        runs[scale] = parsed
        data = parsed["with_layernorm"]
        if not (np.abs(data.mean).max() <= 1e-4 and np.abs(data.std - 1).max() <= 1e-2):  # NaN fails too
            raise CheckFailed(
                f"LayerNorm standardizes every row of every layer, so each layer's z has mean 0 and std ≈ 1 (a little under, "
                f"because of eps) whatever the weights' scale; at {scale:g}× He's scale got means {_fmt(data.mean)} and "
                f"stds {_fmt(data.std)}"
            )
    plain = runs[0.1]["without_layernorm"].std
    report.note(
        describe_series("std by layer at 0.1× He: with LayerNorm", runs[0.1]["with_layernorm"].std, log=False, scale=(0.0, 1.0))
        + "; " + describe_series("without", plain)
    )  # fmt: skip


@category("hidden")
def test_histograms_agree_with_the_statistics(candidate, rng, report) -> None:
    """every histogram's own mean and spread agree with its layer's mean and std (within a bin width)"""
    parsed, args = _parsed(candidate, depth=6, width=WIDTH, batch_size=128, bins=16, seed=int(rng.integers(1_000_000)))
    for net in NETS:
        data = parsed[net]
        for i in range(args["depth"]):
            hist, edges = data.hist[i], data.edges[i]
            if hist.sum() <= 0:
                raise CheckFailed(f"{NET_NAMES[net]}, layer {i + 1}: the histogram is empty")
            mean, std = histogram_moments(hist, edges)
            half_bin = (edges[-1] - edges[0]) / (2 * len(hist))
            slack = half_bin * (1 + 1e-6) + 1e-6 * max(abs(edges[0]), abs(edges[-1]))
            for what, from_hist, stated in (("mean", mean, data.mean[i]), ("std", std, data.std[i])):
                if not abs(from_hist - stated) <= slack:
                    raise CheckFailed(
                        f"{NET_NAMES[net]}, layer {i + 1}: the histogram puts the {what} at {from_hist:.4g} (each value at its "
                        f"bin's center, so within half a bin, {half_bin:.3g}, of the truth) but the layer's {what} is "
                        f"{stated:.4g}: the histogram and the statistics do not describe the same values"
                    )
    last = parsed["with_layernorm"].hist[-1]
    plain = parsed["without_layernorm"].hist[-1]
    report.note(f"layer 6 histogram with LayerNorm {sparkline(last, log=False)}, without {sparkline(plain, log=False)}")

