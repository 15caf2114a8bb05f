"""Hidden checks for norm_init. Rows on the scorecard come from these tests and the spec's examples.

Three kinds of rows: exact comparisons with the reference (every function is deterministic given its
inputs and seed), gradient checks of the candidate's backward against its own forward, and the spec's
claims asserted as properties of the candidate's own numbers (zero-init is the identity, the scale grows
with gamma, zero-init's first step, the large learning rate). A passing property row draws its curve.

The models below recompute each function in the grader, independently of the reference, with keyword
flags that switch on one classic mistake each; a wrong answer that matches one is named.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, assert_gradient, category, describe, expect_array, rel_error, spec_examples
from grader.kit.compare import Lazy
from grader.kit.gradcheck import remote_numerical_gradient
from grader.kit.sparkline import describe_series, shared_scale
from grader.kit.speed import measure_speed
from grader.kit.workload import Workload
from grader.outcomes import CandidateRaised

test_examples = spec_examples(__file__)

STRATEGIES = ("standard", "zero_residual", "small_random", "large")
KEYS = ("W1", "W2", "g1", "b1", "g2", "b2")
SMALL_STD, LARGE = 0.1, 4.0
GRADCHECK_THRESHOLD = 1e-6
TRAINED_RTOL = 1e-6


# ====================================================================== models of the right answer and of the mistakes
def init_model(strategy: str, depth: int, width: int, seed: int, **m: Any) -> dict[str, np.ndarray]:
    if m.get("legacy_rng"):
        legacy = np.random.RandomState(seed)
        draw: Callable[..., np.ndarray] = legacy.standard_normal
    else:
        draw = np.random.default_rng(seed).standard_normal
    scale = 1.0 if m.get("unscaled") else 1.0 / math.sqrt(width)
    w1, w2 = np.empty((depth, width, width)), np.empty((depth, width, width))
    g1, g2 = np.ones((depth, width)), np.ones((depth, width))
    small = strategy == "small_random"
    for block in range(depth):
        first, second = (w2, w1) if m.get("w2_first") else (w1, w2)
        first[block] = draw((width, width)) * scale
        second[block] = draw((width, width)) * scale
        if small and m.get("interleaved"):
            g1[block], g2[block] = SMALL_STD * draw(width), SMALL_STD * draw(width)
    if small and not m.get("interleaved"):
        for block in range(depth):
            g1[block], g2[block] = SMALL_STD * draw(width), SMALL_STD * draw(width)
    if strategy == "zero_residual":
        zeroed = {"last": (g2,), "first": (g1,), "both": (g1, g2)}[m.get("zero", "last")]
        for gamma in zeroed:
            gamma[:] = 0.0
    if strategy == "large":
        g1[:], g2[:] = m.get("large_g1", LARGE), LARGE
    beta = m.get("beta", 0.0)
    return {"W1": w1, "W2": w2, "g1": g1, "b1": np.full((depth, width), beta), "g2": g2, "b2": np.full((depth, width), beta)}


INIT_MISTAKES: dict[str, dict[str, Any]] = {
    "zero-init on the branch's first normalization (g1 = 0); Goyal et al. zero the last one, g2, whose output is added to the stream": {"zero": "first"},
    "gamma = 0 in every normalization; only the last normalization of each branch (g2) starts at 0": {"zero": "both"},
    "the betas start at 1; every beta starts at 0": {"beta": 1.0},
    "the weights were not divided by sqrt(width)": {"unscaled": True},
    "the small gammas were drawn block by block between the weights; draw all the weights first, then the gammas": {"interleaved": True},
    "W2 was drawn before W1 in each block": {"w2_first": True},
    "the draws came from the legacy global generator (np.random.seed / np.random.randn); use np.random.default_rng(seed)": {"legacy_rng": True},
    "'large' set gamma = 4 in the last normalization only; it is 4 in both": {"large_g1": 1.0},
}  # fmt: skip


def _layernorm(z: np.ndarray, eps: float, *, axis: int = 1, eps_outside: bool = False) -> tuple[np.ndarray, np.ndarray]:
    centered = z - z.mean(axis=axis, keepdims=True)
    std = np.sqrt((centered**2).mean(axis=axis, keepdims=True))
    inv = 1.0 / (std + eps) if eps_outside else 1.0 / np.sqrt(std**2 + eps)
    return centered * inv, inv


def streams_model(x: np.ndarray, params: dict, eps: float, **m: Any) -> list[np.ndarray]:
    """The stream before and after every block."""
    axis = 0 if m.get("ln_axis0") else 1
    out = [x]
    for block in range(params["W1"].shape[0]):
        a_hat, _ = _layernorm(x @ params["W1"][block], eps, axis=axis, eps_outside=m.get("eps_outside", False))
        h = np.maximum(params["g1"][block] * a_hat + params["b1"][block], 0.0)
        c_hat, _ = _layernorm(h @ params["W2"][block], eps, axis=axis, eps_outside=m.get("eps_outside", False))
        f = params["g2"][block] * c_hat + params["b2"][block]
        if m.get("relu_on_branch"):
            f = np.maximum(f, 0.0)
        x = f if m.get("no_residual") else x + f
        if m.get("relu_after_add"):
            x = np.maximum(x, 0.0)
        out.append(x)
    return out


FORWARD_MISTAKES: dict[str, dict[str, Any]] = {
    "the residual was dropped (x = f): each block must add its branch to the stream, x = x + f": {"no_residual": True},
    "a ReLU after the addition (x = max(x + f, 0), as in the original ResNet); here nothing follows the addition": {"relu_after_add": True},
    "a ReLU after the branch's last normalization; the branch ends with g2 * LN(...) + b2": {"relu_on_branch": True},
    "the normalization took statistics over the batch (axis 0), not over each row's features": {"ln_axis0": True},
    "eps was added outside the square root": {"eps_outside": True},
}  # fmt: skip


def backward_model(x: np.ndarray, params: dict, dout: np.ndarray, eps: float, **m: Any) -> tuple[np.ndarray, dict]:
    grads = {key: np.zeros_like(params[key]) for key in KEYS}
    saved, stream = [], x
    for block in range(params["W1"].shape[0]):
        a_hat, a_inv = _layernorm(stream @ params["W1"][block], eps)
        pre = params["g1"][block] * a_hat + params["b1"][block]
        h = np.maximum(pre, 0.0)
        c_hat, c_inv = _layernorm(h @ params["W2"][block], eps)
        saved.append((stream, a_hat, a_inv, pre, h, c_hat, c_inv))
        stream = stream + params["g2"][block] * c_hat + params["b2"][block]

    def ln_back(dy: np.ndarray, z_hat: np.ndarray, inv: np.ndarray) -> np.ndarray:
        if m.get("ln_plain"):
            return dy * inv
        return inv * (dy - dy.mean(axis=1, keepdims=True) - z_hat * (dy * z_hat).mean(axis=1, keepdims=True))

    dx = dout
    for block in reversed(range(len(saved))):
        stream, a_hat, a_inv, pre, h, c_hat, c_inv = saved[block]
        grads["g2"][block], grads["b2"][block] = (dx * c_hat).sum(axis=0), dx.sum(axis=0)
        dc = ln_back(dx * params["g2"][block], c_hat, c_inv)
        grads["W2"][block] = h.T @ dc
        dpre = dc @ params["W2"][block].T
        if not m.get("no_relu_mask"):
            dpre = dpre * (pre > 0)
        grads["g1"][block], grads["b1"][block] = (dpre * a_hat).sum(axis=0), dpre.sum(axis=0)
        da = ln_back(dpre * params["g1"][block], a_hat, a_inv)
        grads["W1"][block] = (stream.T @ da) if not m.get("w_transposed") else (da.T @ stream)
        through_branch = da @ params["W1"][block].T
        dx = through_branch if m.get("skip_lost") else dx + through_branch
    return dx, grads


BACKWARD_MISTAKES: dict[str, dict[str, Any]] = {
    "the skip connection's gradient was lost: after a block, dx = dout + (gradient through the branch), not the branch's alone": {"skip_lost": True},
    "the ReLU's mask was left out of the backward (the gradient must be 0 where g1 * LN(a) + b1 <= 0)": {"no_relu_mask": True},
    "LayerNorm's backward dropped the mean terms (dz = dz_hat * inv_std); the mean and the variance depend on z too": {"ln_plain": True},
    "dW1 was computed as da.T @ x (transposed); it is x.T @ da": {"w_transposed": True},
}  # fmt: skip


def train_model(x: np.ndarray, y: np.ndarray, params: dict, lr: float, steps: int, eps: float, **m: Any) -> tuple[np.ndarray, dict]:
    params = {key: np.array(params[key], dtype=np.float64) for key in KEYS}
    frozen = m.get("frozen", ())
    losses = np.empty(steps + 1)
    for step in range(steps + 1):
        diff = streams_model(x, params, eps)[-1] - y
        losses[step] = np.sum(diff**2) if m.get("sum_loss") else np.mean(diff**2)
        if step == steps:
            break
        factor = m.get("factor", 2.0) / (1 if m.get("sum_loss") else diff.size)
        _, grads = backward_model(x, params, diff * factor, eps)
        for key in KEYS:
            if key not in frozen:
                params[key] -= lr * grads[key]
    return losses, params


TRAIN_MISTAKES: dict[str, dict[str, Any]] = {
    "the loss's gradient lost its factor 2: d mean((out - y)²) / d out = 2 (out - y) / (N · width)": {"factor": 1.0},
    "the gammas and betas were left out of the update; SGD moves every parameter": {"frozen": ("g1", "b1", "g2", "b2")},
    "the loss was summed, not averaged over the N · width elements": {"sum_loss": True},
}


def experiment_model(x: np.ndarray, y: np.ndarray, depth: int, lr: float, steps: int, seed: int, eps: float, **m: Any) -> dict:
    report = {}
    for index, strategy in enumerate(STRATEGIES):
        params = init_model(strategy, depth, x.shape[1], seed + index if m.get("reseeded") else seed)
        losses, trained = train_model(x, y, params, lr, steps, eps)
        measured = trained if m.get("scale_after_training") else params
        report[strategy] = {"scale": np.array([s.std() for s in streams_model(x, measured, eps)]), "loss": losses}
    return report


EXPERIMENT_MISTAKES: dict[str, dict[str, Any]] = {
    "each strategy got its own seed (seed + i): they must share the weights, init_params(strategy, depth, width, seed)": {"reseeded": True},
    "the scale was measured after training; the experiment measures it at initialization": {"scale_after_training": True},
}  # fmt: skip


def _whole_dict_diagnosis(got: dict, model: Callable[..., dict], mistakes: dict[str, dict[str, Any]]) -> dict[str, dict]:
    """The mistake whose parameters match all of the candidate's, if one does: several mistakes can agree on one
    array (zero-init on g1 alone or on g1 and g2 give the same g1) but not on the whole dict."""
    for label, flags in mistakes.items():
        mistaken = model(**flags)
        if all(got[k].shape == mistaken[k].shape and np.allclose(got[k], mistaken[k], rtol=1e-7, atol=1e-12) for k in KEYS):
            return {label: mistaken}
    return {}


def _diagnoses(model: Callable[..., Any], mistakes: dict[str, dict[str, Any]], pick: Callable[[Any], Any] = lambda v: v) -> Lazy:
    return Lazy(lambda: {label: (lambda flags=flags: pick(model(**flags))) for label, flags in mistakes.items()})


# ====================================================================== cases
def random_params(rng: np.random.Generator, depth: int, width: int) -> dict[str, np.ndarray]:
    """Gammas around 1 and nonzero betas: every parameter matters, none at a special value."""
    return {
        "W1": rng.standard_normal((depth, width, width)) / math.sqrt(width),
        "W2": rng.standard_normal((depth, width, width)) / math.sqrt(width),
        "g1": rng.uniform(0.5, 1.5, (depth, width)), "b1": rng.uniform(-0.5, 0.5, (depth, width)),
        "g2": rng.uniform(0.5, 1.5, (depth, width)), "b2": rng.uniform(-0.5, 0.5, (depth, width)),
    }  # fmt: skip


def kink_free(x: np.ndarray, params: dict, eps: float) -> bool:
    """No ReLU input within 1e-3 of 0: central differences near a kink measure the kink, not the gradient."""
    stream = x
    for block in range(params["W1"].shape[0]):
        a_hat, _ = _layernorm(stream @ params["W1"][block], eps)
        pre = params["g1"][block] * a_hat + params["b1"][block]
        if np.abs(pre).min() < 1e-3:
            return False
        stream = streams_model(stream, {k: v[block : block + 1] for k, v in params.items()}, eps)[-1]
    return True


@dataclass(frozen=True)
class StackCase:
    name: str
    n: int
    width: int
    depth: int
    eps: float | None = None
    strategy: str | None = None  # None: random gammas and betas

    @property
    def label(self) -> str:
        extra = f", eps={self.eps:g}" if self.eps is not None else ""
        params = self.strategy or "random gammas and betas"
        return f"{self.name}: {self.n}×{self.width}, {self.depth} blocks, {params}{extra}"

    @property
    def eps_value(self) -> float:
        return 1e-5 if self.eps is None else self.eps

    def kwargs(self) -> dict:
        return {} if self.eps is None else {"eps": self.eps}

    def build(self, rng: np.random.Generator, *, kinks: bool = True) -> tuple[np.ndarray, dict, np.ndarray]:
        for _ in range(100):
            x = rng.standard_normal((self.n, self.width)) * rng.uniform(0.5, 2.0) + rng.uniform(-1, 1)
            if self.strategy is None:
                params = random_params(rng, self.depth, self.width)
            else:
                params = init_model(self.strategy, self.depth, self.width, int(rng.integers(1_000_000)))
            if kinks or kink_free(x, params, self.eps_value):
                return x, params, rng.standard_normal((self.n, self.width))
        raise RuntimeError("no kink-free case in 100 draws")  # pragma: no cover - a bug in the suite


STACK_CASES = (
    StackCase("a stack", 6, 5, 3),
    StackCase("wide", 4, 16, 2),
    StackCase("deep", 5, 4, 7),
    StackCase("a batch of one row", 1, 6, 2),
    StackCase("no blocks", 3, 4, 0),
    StackCase("non-default eps", 5, 6, 2, eps=0.3),
    StackCase("zero-init", 4, 5, 3, strategy="zero_residual"),
    StackCase("small random gammas", 5, 5, 3, strategy="small_random"),
)
GRADCHECK_CASES = (StackCase("small", 4, 5, 2), StackCase("non-default eps", 3, 4, 2, eps=0.1))
INIT_CASES = [(s, 3, 5) for s in STRATEGIES] + [("small_random", 1, 12), ("standard", 0, 4), ("large", 2, 2)]
TRAIN_CASES = [(s, 3, 6, 8, 4, 0.1) for s in STRATEGIES] + [("standard", 2, 5, 7, 0, 0.1), ("zero_residual", 4, 4, 6, 3, 0.5)]


# ====================================================================== calling the candidate
def _params(value: Any, what: str, depth: int, width: int) -> dict[str, np.ndarray]:
    if not isinstance(value, dict):
        raise CheckFailed(f"{what}: expected a dict of six arrays ({', '.join(KEYS)}), got {describe(value)}")
    if set(value) != set(KEYS):
        raise CheckFailed(f"{what}: expected the keys {', '.join(KEYS)}, got {', '.join(map(repr, value))}")
    shapes = {"W1": (depth, width, width), "W2": (depth, width, width)}
    return {key: expect_array(value[key], f"{what}[{key!r}]", shape=shapes.get(key, (depth, width)), dtype=np.float64) for key in KEYS}


def _pair(value: Any, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{what} must return two values, got {describe(value)}")
    return tuple(value)


def _init(candidate: Any, strategy: str, depth: int, width: int, seed: int) -> dict[str, np.ndarray]:
    value = candidate.init_params(strategy, depth, width, seed=seed)
    return _params(value, f"init_params({strategy!r}, {depth}, {width}, seed={seed})", depth, width)


def _forward(candidate: Any, x: np.ndarray, params: dict, **kw: Any) -> tuple[np.ndarray, Any]:
    out, cache = _pair(candidate.residual_stack_forward(x, params, **kw), "residual_stack_forward")
    return expect_array(out, "out", shape=x.shape, dtype=np.float64), cache


def _backward(candidate: Any, dout: np.ndarray, cache: Any, depth: int, width: int) -> tuple[np.ndarray, dict]:
    dx, grads = _pair(candidate.residual_stack_backward(dout, cache), "residual_stack_backward")
    return expect_array(dx, "dx", shape=dout.shape), _params(grads, "grads", depth, width)


def _scales(candidate: Any, x: np.ndarray, params: dict, **kw: Any) -> np.ndarray:
    depth = params["W1"].shape[0]
    return expect_array(candidate.output_scale_by_depth(x, params, **kw), "output_scale_by_depth(...)", shape=(depth + 1,))


def _train(candidate: Any, x: np.ndarray, y: np.ndarray, params: dict, lr: float, steps: int) -> tuple[np.ndarray, dict]:
    losses, trained = _pair(candidate.train_steps(x, y, params, lr, steps), "train_steps")
    depth, width = params["W1"].shape[:2]
    return expect_array(losses, "losses", shape=(steps + 1,)), _params(trained, "the trained params", depth, width)


def _experiment(candidate: Any, x: np.ndarray, y: np.ndarray, depth: int, lr: float, steps: int, seed: int) -> dict:
    report = candidate.init_experiment(x, y, depth, lr, steps, seed=seed)
    what = "init_experiment(...)"
    if not isinstance(report, dict) or set(report) != set(STRATEGIES):
        keys = ", ".join(map(repr, report)) if isinstance(report, dict) else describe(report)
        raise CheckFailed(f"{what}: expected a dict with the keys {', '.join(map(repr, STRATEGIES))}, got {keys}")
    for strategy, entry in report.items():
        if not isinstance(entry, dict) or set(entry) != {"scale", "loss"}:
            raise CheckFailed(f"{what}[{strategy!r}]: expected a dict with the keys 'scale' and 'loss', got {describe(entry)}")
        expect_array(entry["scale"], f"{what}[{strategy!r}]['scale']", shape=(depth + 1,))
        expect_array(entry["loss"], f"{what}[{strategy!r}]['loss']", shape=(steps + 1,))
    return report


def task(rng: np.random.Generator, n: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Example 6's task: standard normal inputs and targets tanh(x @ A), A with entries of variance 1/width."""
    x = rng.standard_normal((n, width))
    return x, np.tanh(x @ rng.standard_normal((width, width)) / math.sqrt(width))


def _series(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in np.asarray(values).ravel()) + "]"


# ====================================================================== contract
@category("contract")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_init_params_returns_six_arrays(strategy: str, candidate: Any) -> None:
    """init_params returns W1, W2 (depth, width, width) and g1, b1, g2, b2 (depth, width), float64"""
    _init(candidate, strategy, 3, 4, 0)


@category("contract")
def test_init_params_follows_its_seed(candidate: Any) -> None:
    """init_params: the same seed gives the same numbers, another seed other numbers"""
    first, again, other = (_init(candidate, "small_random", 2, 4, seed) for seed in (7, 7, 8))
    if not all(np.array_equal(first[k], again[k]) for k in KEYS):
        raise CheckFailed("two calls with seed=7 gave different numbers: draw everything from np.random.default_rng(seed)")
    if all(np.array_equal(first[k], other[k]) for k in ("W1", "W2", "g1", "g2")):
        raise CheckFailed("seed=7 and seed=8 gave the same numbers: the seed is not used")


@category("contract")
def test_every_strategy_shares_the_weights(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """one seed gives the same W1 and W2 in every strategy: the experiment compares gammas and betas only"""
    seed = int(rng.integers(1_000_000))
    inits = {s: _init(candidate, s, 3, 5, seed) for s in STRATEGIES}
    for strategy in STRATEGIES[1:]:
        for key in ("W1", "W2"):
            if not np.array_equal(inits[strategy][key], inits["standard"][key]):
                raise CheckFailed(
                    f"init_params({strategy!r}, ..., seed={seed})[{key!r}] is not init_params('standard', ..., seed={seed})[{key!r}]: "
                    "draw all the weights first, then the small gammas, so the strategies differ only in gamma and beta"
                )
    report.note(f"W1 and W2 identical in the four strategies (seed {seed})")


@category("contract")
def test_unknown_strategy_raises_value_error(candidate: Any, report: Any) -> None:
    """an unknown strategy raises ValueError"""
    _init(candidate, "standard", 1, 2, 0)  # a valid name first: an unfinished function fails here, as "not implemented yet"
    try:
        value = candidate.init_params("zero", 1, 2, seed=0)
    except CandidateRaised as raised:
        if "ValueError" not in raised.message:
            raise CheckFailed(f"init_params('zero', ...) must raise ValueError for an unknown strategy; instead: {raised.message}") from None
        report.note(raised.message.split(" (line")[0])
        return
    raise CheckFailed(
        f"init_params('zero', ...) returned {describe(value)}; an unknown strategy must raise ValueError, not run "
        "silently (a typo would otherwise quietly give you some other initialization)"
    )


@category("contract")
def test_forward_and_backward_return_pairs_and_leave_inputs(candidate: Any, rng: np.random.Generator) -> None:
    """the forward returns (out, cache) and modifies neither x nor params; the backward returns (dx, grads)"""
    x, params, dout = StackCase("contract", 4, 3, 2).build(rng)
    before = (x.copy(), {k: v.copy() for k, v in params.items()})
    result = candidate.residual_stack_forward.run(x, params, return_args=True)
    out, cache = _pair(result.value, "residual_stack_forward")
    expect_array(out, "out", shape=x.shape, dtype=np.float64)
    after = result.args_after or [None, None]
    if not (isinstance(after[0], np.ndarray) and np.array_equal(after[0], before[0])):
        raise CheckFailed("residual_stack_forward modified x in place; the caller still needs it: work on a copy")
    if not (isinstance(after[1], dict) and all(np.array_equal(after[1].get(k), before[1][k]) for k in KEYS)):
        raise CheckFailed("residual_stack_forward modified params in place; leave the caller's arrays alone")
    _backward(candidate, dout, cache, 2, 3)


@category("contract")
def test_output_scale_has_depth_plus_one_values(candidate: Any, rng: np.random.Generator) -> None:
    """output_scale_by_depth returns one value before the first block and one after each"""
    x, params, _ = StackCase("contract", 4, 3, 3).build(rng)
    _scales(candidate, x, params)


@category("contract")
def test_train_steps_trains_a_copy(candidate: Any, rng: np.random.Generator) -> None:
    """train_steps returns steps + 1 losses and a new dict, leaving the caller's params alone"""
    x, y = task(rng, 6, 4)
    params = init_model("standard", 2, 4, 3)
    result = candidate.train_steps.run(x, y, params, 0.1, 2, return_args=True)
    losses, trained = _pair(result.value, "train_steps")
    expect_array(losses, "losses", shape=(3,))
    _params(trained, "the trained params", 2, 4)
    after = (result.args_after or [None] * 3)[2]
    if not (isinstance(after, dict) and all(np.array_equal(after.get(k), params[k]) for k in KEYS)):
        raise CheckFailed(
            "train_steps changed the caller's params in place: train a copy ({k: v.copy() for k, v in params.items()}); "
            "the caller still holds them as the initial parameters (init_experiment measures their scale, for one)"
        )


@category("contract")
def test_experiment_reports_every_strategy(candidate: Any, rng: np.random.Generator) -> None:
    """init_experiment returns the four strategies, each with its scale and loss arrays"""
    x, y = task(rng, 5, 4)
    _experiment(candidate, x, y, 2, 0.1, 2, 0)


# ====================================================================== hidden: against the reference
@category("hidden")
@pytest.mark.parametrize("strategy, depth, width", INIT_CASES, ids=[f"{s}, {d} blocks, width {w}" for s, d, w in INIT_CASES])
def test_init_params_matches_reference(strategy: str, depth: int, width: int, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """init_params vs reference"""
    seed = int(rng.integers(1_000_000))
    got = _init(candidate, strategy, depth, width, seed)
    want = reference.init_params(strategy, depth, width, seed=seed)
    diagnoses = _whole_dict_diagnosis(got, lambda **flags: init_model(strategy, depth, width, seed, **flags), INIT_MISTAKES)
    for key in KEYS:
        assert_close(got[key], want[key], key, rtol=1e-7, diagnoses={label: (lambda m=model, k=key: m[k]) for label, model in diagnoses.items()})


@category("hidden")
@pytest.mark.parametrize("case", STACK_CASES, ids=[c.label for c in STACK_CASES])
def test_forward_matches_reference(case: StackCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """residual_stack_forward vs reference"""
    x, params, _ = case.build(rng)
    got, _ = _forward(candidate, x, params, **case.kwargs())
    want, _ = reference.residual_stack_forward(x, params, **case.kwargs())
    diagnoses = _diagnoses(lambda **m: streams_model(x, params, case.eps_value, **m)[-1], FORWARD_MISTAKES)
    assert_close(got, want, "out", rtol=1e-7, diagnoses=diagnoses)


@category("hidden")
@pytest.mark.parametrize("case", STACK_CASES, ids=[c.label for c in STACK_CASES])
def test_backward_matches_reference(case: StackCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """residual_stack_backward vs reference"""
    x, params, dout = case.build(rng)
    _, cache = _forward(candidate, x, params, **case.kwargs())
    dx, grads = _backward(candidate, dout, cache, case.depth, case.width)
    want_dx, want = reference.residual_stack_backward(dout, reference.residual_stack_forward(x, params, **case.kwargs())[1])

    def model(**m: Any) -> tuple[np.ndarray, dict]:
        return backward_model(x, params, dout, case.eps_value, **m)

    assert_close(dx, want_dx, "dx", rtol=1e-6, diagnoses=_diagnoses(model, BACKWARD_MISTAKES, lambda r: r[0]))
    for key in KEYS:
        assert_close(grads[key], want[key], f"grads[{key!r}]", rtol=1e-6, diagnoses=_diagnoses(model, BACKWARD_MISTAKES, lambda r, k=key: r[1][k]))


SCALE_MISTAKES: dict[str, Callable[[np.ndarray], float]] = {
    "this is the RMS, sqrt(mean(x²)); the spec asks for the standard deviation, np.std": lambda s: float(np.sqrt(np.mean(s**2))),
    "the std used ddof=1; the spec's is np.std's default (ddof=0)": lambda s: float(s.std(ddof=1)) if s.size > 1 else 0.0,
    "this is the mean of the per-row stds; the spec takes one std over all N × width elements": lambda s: float(s.std(axis=1).mean()),
}  # fmt: skip


@category("hidden")
@pytest.mark.parametrize("case", STACK_CASES, ids=[c.label for c in STACK_CASES])
def test_output_scale_matches_reference(case: StackCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """output_scale_by_depth vs reference"""
    x, params, _ = case.build(rng)
    got = _scales(candidate, x, params, **case.kwargs())
    want = reference.output_scale_by_depth(x, params, **case.kwargs())
    streams = Lazy(lambda: {"right": streams_model(x, params, case.eps_value)})
    diagnoses = {label: (lambda fn=fn: np.array([fn(s) for s in streams["right"]])) for label, fn in SCALE_MISTAKES.items()}
    for label, flags in FORWARD_MISTAKES.items():
        diagnoses[label] = lambda flags=flags: np.array([s.std() for s in streams_model(x, params, case.eps_value, **flags)])
    assert_close(got, want, "scale", rtol=1e-7, diagnoses=diagnoses)


@category("hidden")
@pytest.mark.parametrize(
    "strategy, depth, width, n, steps, lr", TRAIN_CASES, ids=[f"from {s}, {d} blocks, {n}×{w}, {t} steps, lr {lr}" for s, d, w, n, t, lr in TRAIN_CASES]
)
def test_train_steps_matches_reference(
    strategy: str, depth: int, width: int, n: int, steps: int, lr: float, candidate: Any, reference: Any, rng: np.random.Generator
) -> None:
    """train_steps vs reference: the losses and the trained parameters"""
    x, y = task(rng, n, width)
    params = init_model(strategy, depth, width, int(rng.integers(1_000_000)))
    if strategy == "standard":
        params = {**params, "b1": rng.uniform(-0.3, 0.3, (depth, width)), "b2": rng.uniform(-0.3, 0.3, (depth, width))}
    losses, trained = _train(candidate, x, y, params, lr, steps)
    want_losses, want = reference.train_steps(x, y, params, lr, steps)
    models = Lazy(lambda: {label: train_model(x, y, params, lr, steps, 1e-5, **flags) for label, flags in TRAIN_MISTAKES.items()})
    picks = {label: (lambda label=label: models[label][0]) for label in TRAIN_MISTAKES}
    assert_close(losses, want_losses, "losses", rtol=TRAINED_RTOL, diagnoses=picks)
    for key in KEYS:
        picks = {label: (lambda label=label, key=key: models[label][1][key]) for label in TRAIN_MISTAKES}
        assert_close(trained[key], want[key], f"trained[{key!r}]", rtol=TRAINED_RTOL, diagnoses=picks)


@category("hidden")
def test_experiment_matches_reference(candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """init_experiment vs reference: each strategy's scale and losses"""
    x, y = task(rng, 10, 6)
    seed = int(rng.integers(1_000_000))
    got = _experiment(candidate, x, y, 3, 0.2, 3, seed)
    want = reference.init_experiment(x, y, 3, 0.2, 3, seed=seed)
    models = Lazy(lambda: {label: experiment_model(x, y, 3, 0.2, 3, seed, 1e-5, **flags) for label, flags in EXPERIMENT_MISTAKES.items()})
    for strategy in STRATEGIES:
        for part in ("scale", "loss"):
            picks = {label: (lambda label=label, s=strategy, p=part: models[label][s][p]) for label in EXPERIMENT_MISTAKES}
            assert_close(got[strategy][part], want[strategy][part], f"[{strategy!r}][{part!r}]", rtol=TRAINED_RTOL, diagnoses=picks)


# ====================================================================== hidden: the claims, as properties of your numbers
DEPTH, WIDTH, ROWS = 10, 64, 64


def _scale_curve(candidate: Any, strategy: str, rng: np.random.Generator, shared: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """The candidate's scale curve for `strategy` on one x and one seed shared by the rows of this run."""
    if "scale_setting" not in shared:
        shared["scale_setting"] = (rng.standard_normal((ROWS, WIDTH)), int(rng.integers(1_000_000)))
    x, seed = shared["scale_setting"]
    params = _init(candidate, strategy, DEPTH, WIDTH, seed)
    return x, _scales(candidate, x, params), seed


@category("hidden")
def test_zero_init_is_the_identity(candidate: Any, rng: np.random.Generator, shared: dict, report: Any) -> None:
    """zero-init residual: the output is the input at every depth, exactly"""
    x, scales, seed = _scale_curve(candidate, "zero_residual", rng, shared)
    out, _ = _forward(candidate, x, _init(candidate, "zero_residual", DEPTH, WIDTH, seed))
    gap = float(np.abs(out - x).max())
    if not (gap <= 1e-12 and np.abs(scales - x.std()).max() <= 1e-12):  # NaN fails too
        raise CheckFailed(
            f"with g2 = 0 every branch outputs g2 * LN(...) + b2 = 0, so each block is the identity: after {DEPTH} blocks "
            f"the output must be x itself and its std x's at every depth; the output is off by up to {gap:.3g} and the "
            f"scales are {_series(scales)} (x's std is {x.std():.4g})"
        )
    report.note(describe_series("std by depth", scales, log=False, scale=(0.0, float(scales.max()) * 2)) + "; output == input")


SCALE_CLAIMS = {
    "standard": (1.0, 0.3, "gamma = 1: the branch adds a variance of about 1 per block, so the std after l blocks is about sqrt(1 + l) times the input's"),
    "large": (LARGE**2, 0.3, "gamma = 4: the branch adds a variance of about 16 per block, so the std after l blocks is about sqrt(1 + 16 l) times the input's"),
}  # fmt: skip


@category("hidden")
@pytest.mark.parametrize("strategy", list(SCALE_CLAIMS))
def test_scale_grows_with_gamma(strategy: str, candidate: Any, rng: np.random.Generator, shared: dict, report: Any) -> None:
    """the output's scale grows with depth as sqrt(1 + gamma² l)"""
    variance, slack, claim = SCALE_CLAIMS[strategy]
    x, scales, _ = _scale_curve(candidate, strategy, rng, shared)
    predicted = np.sqrt(1.0 + variance * np.arange(DEPTH + 1))
    ratio = scales / scales[0] / predicted
    if not np.all(np.abs(ratio - 1) <= slack):
        worst = int(np.argmax(np.abs(ratio - 1)))
        raise CheckFailed(
            f"{claim} (within {slack:.0%}); after {worst} blocks got {scales[worst] / scales[0]:.4g} times, predicted "
            f"{predicted[worst]:.4g}; your scales: {_series(scales)}"
        )
    report.note(describe_series("std by depth", scales, log=False) + f" (predicted {predicted[-1] * scales[0]:.3g} at depth {DEPTH})")


@category("hidden")
def test_small_random_gamma_keeps_the_scale(candidate: Any, rng: np.random.Generator, shared: dict, report: Any) -> None:
    """small random gammas (std 0.1): the output's scale stays near the input's"""
    x, scales, _ = _scale_curve(candidate, "small_random", rng, shared)
    standard = _scale_curve(candidate, "standard", rng, shared)[1]
    if not np.all(np.abs(scales / scales[0] - 1) <= 0.2):
        raise CheckFailed(
            f"gammas of std 0.1 make each branch add a variance of about 0.01, so after {DEPTH} blocks the std should "
            f"stay within 20% of the input's (about sqrt(1 + 0.01 · {DEPTH}) ≈ {math.sqrt(1 + 0.01 * DEPTH):.3g} times); got {_series(scales)}"
        )
    scale = shared_scale(scales, standard)
    report.note(
        describe_series("small random", scales, log=False, scale=scale) + "; " + describe_series("standard", standard, log=False, scale=scale)
    )


def _first_step(candidate: Any, strategy: str, rng: np.random.Generator) -> dict[str, float]:
    x, y = task(rng, 16, 8)
    params = init_model(strategy, 3, 8, int(rng.integers(1_000_000)))
    _, trained = _train(candidate, x, y, params, 0.1, 1)
    return {key: float(np.abs(trained[key] - params[key]).max()) for key in KEYS}


@category("hidden")
def test_zero_init_first_step_moves_only_the_last_norm(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """zero-init: the first SGD step moves g2 and b2, nothing else"""
    moved = _first_step(candidate, "zero_residual", rng)
    still = [k for k in ("W1", "W2", "g1", "b1") if moved[k] != 0.0]
    stuck = [k for k in ("g2", "b2") if moved[k] == 0.0]
    if still or stuck:
        raise CheckFailed(
            "with g2 = 0 the branch's output g2 * LN(...) + b2 does not depend on W1, W2, g1 or b1, so their gradients "
            "are exactly 0 at the first step, while g2 (gradient sum(dout * LN(...))) and b2 (sum(dout)) must move; "
            + (f"{', '.join(still)} moved; " if still else "")
            + (f"{', '.join(stuck)} did not move; " if stuck else "")
            + "largest change per key: " + ", ".join(f"{k} {v:.3g}" for k, v in moved.items())
        )  # fmt: skip
    report.note("first step: g2 moved by " + f"{moved['g2']:.3g}, b2 by {moved['b2']:.3g}; W1, W2, g1, b1 by 0")


@category("hidden")
def test_standard_first_step_moves_everything(candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """gamma = 1: the first SGD step moves every parameter"""
    moved = _first_step(candidate, "standard", rng)
    stuck = [k for k in KEYS if moved[k] == 0.0]
    if stuck:
        raise CheckFailed(f"with gamma = 1 every parameter has a gradient at the first step, but {', '.join(stuck)} did not move")
    report.note("first step moved every parameter (" + ", ".join(f"{k} {v:.2g}" for k, v in moved.items()) + ")")


LARGE_LR = 1.0


def _large_lr_report(candidate: Any, shared: dict) -> dict:
    """Example 6's experiment on another fixed task and seed (x, y from default_rng(8), seed 1): a verdict that
    never depends on the run's seed. On 600 such tasks and seeds every claim below held, with a margin (zero-init
    ended at most at 0.56 of its start, gamma = 1 rose at least to 1.15 times its start, gamma = 4 to 3.2 times
    and started 9.4 times higher or more)."""
    if "large_lr" not in shared:
        shared["large_lr"] = _experiment(candidate, *task(np.random.default_rng(8), 32, 16), 6, LARGE_LR, 10, 1)
    return shared["large_lr"]


@category("hidden")
def test_zero_init_trains_smoothly_at_a_large_learning_rate(candidate: Any, shared: dict, report: Any) -> None:
    """lr = 1: zero-init's loss never rises above its start and ends below 0.8 of it"""
    loss = np.asarray(_large_lr_report(candidate, shared)["zero_residual"]["loss"])
    if not (loss.max() <= loss[0] * (1 + 1e-9) and loss[-1] < 0.8 * loss[0]):  # NaN fails too
        raise CheckFailed(
            "with g2 = 0 every block starts as the identity and the first step only moves g2 and b2: on a task like "
            f"Example 6's (32×16, 6 blocks, 10 steps at lr = 1) its loss should never rise above its start and end below "
            f"0.8 of it; got {_series(loss)}"
        )
    report.note(describe_series("zero-init loss by step", loss, log=False))


@category("hidden")
def test_standard_and_large_overshoot_at_a_large_learning_rate(candidate: Any, shared: dict, report: Any) -> None:
    """lr = 1: gamma = 1's loss rises above its start; gamma = 4 starts 5× higher and more than doubles"""
    result = _large_lr_report(candidate, shared)
    standard, large = (np.asarray(result[s]["loss"]) for s in ("standard", "large"))
    if not standard.max() > standard[0]:
        raise CheckFailed(
            "at lr = 1 the standard initialization's first steps overshoot: on a task like Example 6's its loss should "
            f"rise above its start at some step; got {_series(standard)}"
        )
    if not (large[0] > 5 * standard[0] and large.max() > 2 * large[0]):
        raise CheckFailed(
            f"gamma = 4 makes the output about 4 times larger, so its initial loss should be over 5 times the standard "
            f"one's ({standard[0]:.4g}), and at lr = 1 it should more than double; got {_series(large)}"
        )
    report.note(describe_series("standard loss by step", standard, log=False) + "; " + describe_series("gamma = 4", large))


# ====================================================================== gradcheck
@category("gradcheck")
@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c.label for c in GRADCHECK_CASES])
def test_dx_matches_numerical(case: StackCase, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """dx matches central differences of your forward"""
    x, params, dout = case.build(rng, kinks=False)
    _, cache = _forward(candidate, x, params, **case.kwargs())
    dx, _ = _backward(candidate, dout, cache, case.depth, case.width)
    numeric = remote_numerical_gradient(candidate.residual_stack_forward, (x, params), case.kwargs(), 0, dout)
    err = assert_gradient(dx, numeric, "dx", GRADCHECK_THRESHOLD)
    report.note(f"relative error {err:.1e} (threshold {GRADCHECK_THRESHOLD:.0e})")


@category("gradcheck")
@pytest.mark.parametrize("case", GRADCHECK_CASES[:1], ids=[c.label for c in GRADCHECK_CASES[:1]])
def test_parameter_gradients_match_numerical(case: StackCase, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """each parameter's gradient along a random direction matches central differences of your forward"""
    x, params, dout = case.build(rng, kinks=False)
    _, cache = _forward(candidate, x, params, **case.kwargs())
    _, grads = _backward(candidate, dout, cache, case.depth, case.width)
    h, errors = 1e-5, []
    for key in KEYS:
        direction = rng.standard_normal(params[key].shape)
        plus, _ = _forward(candidate, x, {**params, key: params[key] + h * direction}, **case.kwargs())
        minus, _ = _forward(candidate, x, {**params, key: params[key] - h * direction}, **case.kwargs())
        numeric = float(np.sum((plus - minus) * dout) / (2 * h))
        analytic = float(np.sum(grads[key] * direction))
        if numeric == 0.0:
            raise CheckFailed(f"grads[{key!r}]: your forward's output does not change when {key} does; the forward ignores it")
        err = rel_error(analytic, numeric)
        if not err <= GRADCHECK_THRESHOLD:  # NaN fails too
            raise CheckFailed(
                f"grads[{key!r}]: along a random direction your backward gives {analytic:.8g}, central differences of your "
                f"forward {numeric:.8g} (relative error {err:.2e}, threshold {GRADCHECK_THRESHOLD:.0e})"
            )
        errors.append(err)
    report.note(f"largest relative error {max(errors):.1e} over {', '.join(KEYS)} (threshold {GRADCHECK_THRESHOLD:.0e})")


# ====================================================================== speed
SPEED_DEPTH = 2


def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    """x of n rows, min(d, 64) features wide (the weights are width × width), two blocks, random gammas and betas."""
    width = min(d, 64)
    return rng.standard_normal((n, width)), random_params(rng, SPEED_DEPTH, width), rng.standard_normal((n, width))


def speed_run(impl: Any, x: Any, params: Any, dout: Any) -> tuple:
    out, cache = impl.residual_stack_forward(x, params)
    return out, impl.residual_stack_backward(dout, cache)


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """forward + backward time vs reference"""
    sizes = [(512, 64), (256, 64), (128, 32), (64, 16)]
    figure = measure_speed(worker, "residual_stack_forward/backward", Workload(speed_inputs, speed_run), sizes, seed=seed)
    report.speed(figure.ratio, figure.describe())
