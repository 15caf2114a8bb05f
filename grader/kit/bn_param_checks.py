"""Checks for CS231n-style batch normalization driven by a `bn_param` dict (train/test modes, running stats).

`batchnorm_running` (x of shape (N, D)) and `spatial_batchnorm` (x of shape (N, C, H, W)) share one
contract, CS231n's:

    out, cache = forward(x, gamma, beta, bn_param)        bn_param: mode ('train' | 'test', anything else
                                                           raises ValueError), eps (1e-5), momentum (0.9),
                                                           running_mean / running_var (zeros of shape (C,))
    train: normalize with the batch's mean and biased variance, then store
           running = momentum * running + (1 - momentum) * batch statistic   back INTO bn_param
    test:  normalize with the running statistics, leave them unchanged

A suite describes its layer with `BnLayer` and subclasses `RunningBatchNormChecks`; the class holds the
contract, hidden and gradcheck checks, and `test_speed` times the workload the suite gives.

The dict a check passes to the candidate is a copy in the worker: what the candidate stored in it comes
back as `result.args_after[3]` (the dict as it was after the call), and that plain dict is what the next
call of a multi-step check sends. `spec_examples_with_param_dicts` does the same for the spec's examples,
so a notebook-style loop that trains through one bn_param and then switches it to 'test' reads exactly as
it would in the notebook.

The models of classic mistakes below let a failing row name the mistake (see compare.assert_close).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.kit import mistakes
from grader.kit.compare import assert_close, describe, expect_array, fmt_index
from grader.kit.examples import _run_example, check_expectation, parse_examples
from grader.kit.gradcheck import assert_gradient, remote_numerical_gradient
from grader.kit.layers import assert_cache_isolated, assert_unchanged, first_difference, unpack
from grader.kit.speed import DEFAULT_PROBES, Probes, RelativeSpeed, measure_speed
from grader.kit.workload import Workload
from grader.outcomes import CandidateRaised, CheckFailed, CheckOutcome

category = pytest.mark.category
cases = pytest.mark.cases

DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.9
STATS = ("running_mean", "running_var")


# ====================================================================== the spec's examples
class _SyncedCandidate:
    """The candidate's functions, except that a dict argument sees what the call stored in it.

    Arguments cross to the worker by value, so `batchnorm_forward(x, gamma, beta, bn_param)` would leave
    the example's own bn_param untouched. Each call here fetches its arguments as they were afterwards and
    copies a dict argument's new contents back into the caller's dict.
    """

    def __init__(self, candidate: Any) -> None:
        self._candidate = candidate

    def __getattr__(self, name: str) -> Callable:
        fn = getattr(self._candidate, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = fn.run(*args, return_args=True, **kwargs)
            for sent, after in zip(args, result.args_after or ()):
                if type(sent) is dict and isinstance(after, dict):
                    sent.clear()
                    sent.update(after)
            return result.value

        return call


def spec_examples_with_param_dicts(test_file: str) -> Any:
    """Like `spec_examples`, for functions that update a dict argument in place (CS231n's bn_param)."""
    readme = Path(test_file).resolve().parents[1] / "README.md"
    expectations = parse_examples(readme.read_text(encoding="utf-8"))
    runs: dict[int, dict | CheckOutcome] = {}

    @pytest.mark.category("examples")
    @pytest.mark.parametrize("expectation", expectations, ids=[e.label for e in expectations])
    def test_example(expectation: Any, candidate: Any, problem: Any) -> None:
        if expectation.example not in runs:
            runs[expectation.example] = _run_example(expectation.code, _SyncedCandidate(candidate), problem.functions)
        outcome = runs[expectation.example]
        if isinstance(outcome, CheckOutcome):
            raise type(outcome)(outcome.message)
        check_expectation(expectation, outcome)

    return test_example


# ====================================================================== the layer and its cases
@dataclass(frozen=True)
class BnCase:
    """One family of inputs. eps / momentum None: the key is left out of bn_param (the default applies);
    running=True: bn_param carries running statistics already (else the keys are left out)."""

    name: str
    shape: tuple[int, ...]
    data: str = "normal"  # normal | tiny_var | offset (mean ~ 1e4) | constant | notebook (5 * randn + 12)
    dtype: str = "float64"
    eps: float | None = None
    momentum: float | None = None
    running: bool = False

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype != "float64" and self.dtype not in self.name else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None and "eps" not in self.name else []
        extras += [f"momentum={self.momentum:g}"] if self.momentum is not None and "momentum" not in self.name else []
        return f"{self.name} {'×'.join(map(str, self.shape))}" + (f", {', '.join(extras)}" if extras else "")

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7


@dataclass
class Inputs:
    x: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    bn: dict  # bn_param without 'mode'

    def param(self, mode: str) -> dict:
        """A fresh bn_param for one call (the arrays copied: a call may update them in place)."""
        return {"mode": mode, **{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.bn.items()}}


@dataclass(frozen=True)
class BnLayer:
    forward: str
    backwards: tuple[str, ...]
    ndim: int  # 2: x is (N, D); 4: x is (N, C, H, W)

    @property
    def axes(self) -> tuple[int, ...]:
        return (0,) if self.ndim == 2 else (0, 2, 3)

    @property
    def samples(self) -> str:
        return "N" if self.ndim == 2 else "N·H·W"

    # ------------------------------------------------------------------ inputs
    def make_inputs(self, rng: np.random.Generator, case: BnCase) -> Inputs:
        shape = case.shape
        c = shape[1]
        group = tuple(c if axis == 1 else 1 for axis in range(len(shape)))
        z = rng.standard_normal(shape)
        if case.data == "normal":
            loc, scale = rng.uniform(-3, 3, group), rng.uniform(0.5, 3, group)
        elif case.data == "tiny_var":
            loc, scale = rng.uniform(-1, 1, group), 1e-3 * rng.uniform(0.5, 1.5, group)
        elif case.data == "offset":
            loc, scale = 1e4 + rng.uniform(-10, 10, group), 1e-2 * rng.uniform(0.5, 2, group)
        elif case.data == "constant":
            loc, scale = rng.uniform(-3, 3, group), np.zeros(group)
        elif case.data == "notebook":
            loc, scale = np.full(group, 12.0), np.full(group, 5.0)
        else:
            raise ValueError(f"unknown data kind {case.data!r}")
        x = (loc + scale * z).astype(case.dtype)
        gamma = rng.normal(1.0, 0.5, c).astype(case.dtype)
        beta = rng.normal(0.0, 1.0, c).astype(case.dtype)
        bn: dict = {}
        if case.eps is not None:
            bn["eps"] = case.eps
        if case.momentum is not None:
            bn["momentum"] = case.momentum
        if case.running:
            bn["running_mean"] = (loc.reshape(-1) + rng.normal(0, 0.5, c) * scale.reshape(-1)).astype(case.dtype)
            bn["running_var"] = (scale.reshape(-1) ** 2 * rng.uniform(0.5, 2.0, c)).astype(case.dtype)
        return Inputs(x, gamma, beta, bn)

    def dout(self, rng: np.random.Generator, inputs: Inputs) -> np.ndarray:
        return rng.standard_normal(inputs.x.shape).astype(inputs.x.dtype)

    # ------------------------------------------------------------------ calls
    def run_forward(self, candidate: Any, inputs: Inputs, mode: str, bn: dict | None = None) -> tuple[Any, Any, dict, Any]:
        """The candidate's forward: (out, cache, bn_param as it was after the call, the call's result)."""
        sent = inputs.param(mode) if bn is None else {**bn, "mode": mode}
        result = getattr(candidate, self.forward).run(inputs.x, inputs.gamma, inputs.beta, sent, return_args=True)
        out, cache = unpack(result.value, ("out", "cache"), self.forward)
        after = (result.args_after or [None] * 4)[3]
        return out, cache, after, result

    def reference_forward(self, reference: Any, inputs: Inputs, mode: str, bn: dict | None = None) -> tuple[Any, Any, dict]:
        sent = inputs.param(mode) if bn is None else {**copy_param(bn), "mode": mode}
        out, cache = getattr(reference, self.forward)(inputs.x.copy(), inputs.gamma.copy(), inputs.beta.copy(), sent)
        return out, cache, sent

    def run_backward(self, candidate: Any, backward: str, dout: np.ndarray, cache: Any) -> tuple:
        return unpack(getattr(candidate, backward)(dout, cache), ("dx", "dgamma", "dbeta"), backward)

    def reference_backward(self, reference: Any, backward: str, inputs: Inputs, dout: np.ndarray) -> tuple:
        _, cache, _ = self.reference_forward(reference, inputs, "train")
        return getattr(reference, backward)(dout.copy(), cache)

    # ------------------------------------------------------------------ bn_param after a call
    def stored_stats(self, after: Any, c: int, what: str) -> tuple[np.ndarray, np.ndarray]:
        """running_mean and running_var from bn_param after a call; say plainly what is missing or misshapen."""
        if not isinstance(after, dict):
            raise CheckFailed(f"{self.forward}: bn_param came back as {describe(after)} after the call")
        for key in STATS:
            if key not in after:
                raise CheckFailed(
                    f"after {what}, bn_param has no {key!r} (its keys: {sorted(map(str, after))}): store the updated "
                    f"statistics back into the dict the caller passed, bn_param[{key!r}] = ..., as CS231n's layers do "
                    "(rebinding a local name or returning them is not enough)"
                )
        stats = []
        for key in STATS:
            value = after[key]
            if not isinstance(value, np.ndarray):
                raise CheckFailed(f"after {what}, bn_param[{key!r}] is {describe(value)}; expected an array of shape ({c},)")
            if value.shape != (c,):
                hint = " (computed with keepdims=True? store it with shape (C,))" if value.size == c else ""
                raise CheckFailed(
                    f"after {what}, bn_param[{key!r}] has shape {value.shape}; expected ({c},), one value per "
                    f"{'feature' if self.ndim == 2 else 'channel'}{hint.replace('(C,)', f'({c},)')}"
                )
            stats.append(value)
        return stats[0], stats[1]


def copy_param(bn: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in bn.items()}


# ====================================================================== models of classic mistakes
def _channel(v: Any, ndim: int) -> np.ndarray:
    shape = [1] * ndim
    shape[1] = -1
    return np.asarray(v, dtype=np.float64).reshape(shape)


def _affine(xhat: np.ndarray, gamma: Any, beta: Any) -> np.ndarray:
    return xhat * _channel(gamma, xhat.ndim) + _channel(beta, xhat.ndim)


def _batch_stats(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=axes), x.var(axis=axes)


WRONG_EPS_DEFAULTS = (1e-8, 1e-7, 1e-6, 1e-4, 1e-3, 0.0)
WRONG_MOMENTUM_DEFAULTS = (0.1, 0.99, 0.999, 0.5)


def _eps_label(eps: float) -> str:
    note = " (Keras's default)" if eps == 1e-3 else ""
    return f"eps defaults to {eps:g}{note} when bn_param has no 'eps'; the spec's default is {DEFAULT_EPS:g}"


ALONG_W = (
    "gamma and beta were broadcast along the last axis (W) instead of the channel axis: reshape them to (1, C, 1, 1) "
    "(with W ≠ C the same code raises a broadcasting error)"
)


def _spatial_axis_mistakes(x: np.ndarray, gamma: Any, beta: Any, eps: float) -> dict[str, Callable[[], np.ndarray]]:
    """(N, C, H, W): statistics over the wrong axes, and reshapes that scramble the channels."""
    n, c, h, w = x.shape

    def bn2d(x2: np.ndarray) -> np.ndarray:
        return (x2 - x2.mean(axis=0)) / np.sqrt(x2.var(axis=0) + eps) * np.asarray(gamma, float) + np.asarray(beta, float)

    x64 = np.asarray(x, dtype=np.float64)
    wrong = {
        (0,): "the statistics were taken per pixel, over axis 0 only; spatial batchnorm takes one mean and variance per "
        "channel, over (N, H, W) = axes (0, 2, 3)",
        (2, 3): "the statistics were taken over (H, W) per example and channel (that is instance norm); spatial batchnorm "
        "pools the whole batch too: axes (0, 2, 3)",
        (1, 2, 3): "the statistics were taken per example over (C, H, W) (that is layer norm); use axes (0, 2, 3)",
        (0, 1, 2, 3): "one mean and variance were taken over the whole tensor; take them per channel, over axes (0, 2, 3)",
        (0, 2): "the statistics skipped the W axis: reduce over (0, 2, 3)",
        (0, 3): "the statistics skipped the H axis: reduce over (0, 2, 3)",
    }
    found: dict[str, Callable[[], np.ndarray]] = {
        label: (lambda axes=axes: _affine(mistakes.normalize(x64, axes, eps), gamma, beta)) for axes, label in wrong.items()
    }
    if w == c:
        found[ALONG_W] = lambda: mistakes.normalize(x64, (0, 2, 3), eps) * np.asarray(gamma, float) + np.asarray(beta, float)
    found["the channels were scrambled: x.reshape(-1, C) without first moving C last (x.transpose(0, 2, 3, 1)) mixes "
          "values of different channels in one column"] = lambda: bn2d(x64.reshape(-1, c)).reshape(n, c, h, w)
    found["the channels were scrambled on the way back: the (N·H·W, C) result was reshaped to (N, C, H, W) without "
          "the transpose back (reshape to (N, H, W, C), then .transpose(0, 3, 1, 2))"] = lambda: bn2d(
        x64.transpose(0, 2, 3, 1).reshape(-1, c)
    ).reshape(n, c, h, w)
    return found


def train_forward_mistakes(layer: BnLayer, inputs: Inputs) -> dict[str, Callable[[], np.ndarray]]:
    x, gamma, beta = inputs.x, inputs.gamma, inputs.beta
    eps = inputs.bn.get("eps", DEFAULT_EPS)
    found: dict[str, Callable[[], np.ndarray]] = {}
    if "eps" not in inputs.bn:
        for wrong in WRONG_EPS_DEFAULTS:
            found[_eps_label(wrong)] = lambda wrong=wrong: _affine(mistakes.normalize(x, layer.axes, wrong), gamma, beta)
    if layer.ndim == 2:
        found.update(mistakes.forward_mistakes(x, gamma, beta, eps, 0, 1))
    else:
        generic = mistakes.forward_mistakes(x, gamma, beta, eps, layer.axes, (0,))
        found.update({k: v for k, v in generic.items() if not k.startswith("the statistics were taken over axis")})
        found.update(_spatial_axis_mistakes(x, gamma, beta, eps))
    if "running_mean" in inputs.bn:
        rm, rv = inputs.bn["running_mean"], inputs.bn["running_var"]
        found["train mode normalized with the running statistics; it must use the batch's own mean and variance"] = lambda: (
            _affine((x - _channel(rm, x.ndim)) / np.sqrt(_channel(rv, x.ndim) + eps), gamma, beta)
        )
    return found


def running_stat_mistakes(layer: BnLayer, inputs: Inputs) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    """Wrong running_mean / running_var after one train step from bn_param `inputs.bn`."""
    x = np.asarray(inputs.x, dtype=np.float64)
    c = x.shape[1]
    bn = inputs.bn
    eps = bn.get("eps", DEFAULT_EPS)
    m = bn.get("momentum", DEFAULT_MOMENTUM)
    rm = np.asarray(bn.get("running_mean", np.zeros(c)), dtype=np.float64)
    rv = np.asarray(bn.get("running_var", np.zeros(c)), dtype=np.float64)
    mu, var = _batch_stats(x, layer.axes)
    count = x.size // c

    def update(old: np.ndarray, new: np.ndarray, momentum: float = m) -> np.ndarray:
        return momentum * old + (1 - momentum) * new

    swapped = "momentum was applied the wrong way round: (1 − momentum)·running + momentum·batch; the spec keeps momentum·running"
    replaced = "the batch statistic replaced the running one (no moving average)"
    ignored = "the stored running statistics were ignored: each step started again from zeros (read them from bn_param)"
    mean = {
        swapped: lambda: update(rm, mu, 1 - m),
        replaced: lambda: mu,
        ignored: lambda: update(0 * rm, mu),
    }
    variance = {
        f"the running variance used the unbiased batch variance (ddof=1, {count}/{count - 1} × the biased one); "
        "keep the biased variance the forward pass normalizes with": lambda: update(rv, var * count / max(count - 1, 1)),
        "eps was added to the stored running variance; it belongs only inside the square root (test mode adds it)": lambda: (
            update(rv, var + eps)
        ),
        swapped: lambda: update(rv, var, 1 - m),
        "the running variance stored the standard deviation sqrt(var + eps) instead of the variance": lambda: (
            update(rv, np.sqrt(var + eps))
        ),
        "the running variance stored the standard deviation instead of the variance": lambda: update(rv, np.sqrt(var)),
        "the running variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: update(
            rv, (x * x).mean(axis=layer.axes) - mu * mu
        ),
        replaced: lambda: var,
        ignored: lambda: update(0 * rv, var),
    }
    if "running_var" not in bn:
        variance["the running variance started from ones; CS231n starts both running statistics from zeros"] = lambda: (
            update(np.ones(c), var)
        )
    if "momentum" not in bn:
        for wrong in WRONG_MOMENTUM_DEFAULTS:
            label = f"momentum defaults to {wrong:g} when bn_param has no 'momentum'; the spec's default is {DEFAULT_MOMENTUM:g}"
            mean[label] = lambda wrong=wrong: update(rm, mu, wrong)
            variance[label] = lambda wrong=wrong: update(rv, var, wrong)
    return {"running_mean": mean, "running_var": variance}


def inference_output(x: Any, gamma: Any, beta: Any, rm: Any, rv: Any, eps: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return _affine((x - _channel(rm, x.ndim)) / np.sqrt(_channel(rv, x.ndim) + eps), gamma, beta)


def inference_mistakes(layer: BnLayer, inputs: Inputs) -> dict[str, Callable[[], np.ndarray]]:
    x = np.asarray(inputs.x, dtype=np.float64)
    gamma, beta, bn = inputs.gamma, inputs.beta, inputs.bn
    eps = bn.get("eps", DEFAULT_EPS)
    rm, rv = _channel(bn["running_mean"], x.ndim), _channel(bn["running_var"], x.ndim)
    centred = x - rm
    found: dict[str, Callable[[], np.ndarray]] = {}
    if x.ndim == 4 and x.shape[-1] == x.shape[1]:
        found[ALONG_W] = lambda: centred / np.sqrt(rv + eps) * np.asarray(gamma, float) + np.asarray(beta, float)
    if "eps" not in bn:
        for wrong in WRONG_EPS_DEFAULTS:
            found[_eps_label(wrong)] = lambda wrong=wrong: _affine(centred / np.sqrt(rv + wrong), gamma, beta)
    found.update(
        {
            "test mode dropped gamma and beta: the running statistics normalize, then gamma scales and beta shifts, as "
            "in train mode": lambda: centred / np.sqrt(rv + eps),
            "test mode did not apply gamma": lambda: _affine(centred / np.sqrt(rv + eps), 1.0, beta),
            "test mode did not add beta": lambda: _affine(centred / np.sqrt(rv + eps), gamma, 0.0),
            "test mode normalized with the batch's own statistics; it must use running_mean and running_var": lambda: (
                _affine(mistakes.normalize(x, layer.axes, eps), gamma, beta)
            ),
            "test mode put eps outside the square root: 1/(sqrt(running_var) + eps)": lambda: _affine(
                centred / (np.sqrt(rv) + eps), gamma, beta
            ),
            "test mode left eps out: 1/sqrt(running_var)": lambda: _affine(centred / np.sqrt(rv), gamma, beta),
            "test mode divided by the running variance, not its square root": lambda: _affine(centred / (rv + eps), gamma, beta),
            "test mode did not subtract the running mean": lambda: _affine(x / np.sqrt(rv + eps), gamma, beta),
            "gamma and beta were swapped in test mode": lambda: _affine(centred / np.sqrt(rv + eps), beta, gamma),
        }
    )
    return found


def grad_mistakes(layer: BnLayer, inputs: Inputs, dout: np.ndarray) -> dict[str, dict[str, Callable[[], np.ndarray]]]:
    x = np.asarray(inputs.x, dtype=np.float64)
    gamma, axes = inputs.gamma, layer.axes
    eps = inputs.bn.get("eps", DEFAULT_EPS)
    dout = np.asarray(dout, dtype=np.float64)
    xhat = mistakes.normalize(x, axes, eps)
    out_of_order = "the gradients came back out of order: return (dx, dgamma, dbeta)"
    dx: dict[str, Callable[[], np.ndarray]] = {}
    if "eps" in inputs.bn and inputs.bn["eps"] != DEFAULT_EPS:
        label = (
            f"backward used eps={DEFAULT_EPS:g} instead of the eps the forward pass read from bn_param (keep eps, or "
            "1/sqrt(var + eps), in the cache)"
        )

        def default_rstd_only() -> np.ndarray:  # x̂ from the cache, 1/sqrt(var + 1e-5) recomputed
            rstd = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + DEFAULT_EPS)
            dxhat = dout * _channel(gamma, x.ndim)
            return rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True) - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))

        dx[label] = lambda: mistakes.correct_dx(x, gamma, DEFAULT_EPS, dout, axes)
        dx[label + " "] = default_rstd_only  # the same mistake, made with x̂ cached (a distinct key: one space)
    dx.update(mistakes.dx_mistakes(x, gamma, eps, dout, axes))
    if layer.ndim == 4:
        n = x.shape[0]

        def divided_by_n() -> np.ndarray:
            rstd = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
            dxhat = dout * _channel(gamma, 4)
            return rstd * (dxhat - dxhat.sum(axis=axes, keepdims=True) / n - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True) / n)

        dx = {
            "dx divides the batch sums by N instead of N·H·W (each channel has N·H·W samples)": divided_by_n,
            **dx,
        }
    return {
        "dx": dx,
        "dgamma": {
            "dgamma used x instead of the normalized x̂": lambda: (dout * x).sum(axis=axes),
            f"this is dbeta: {out_of_order}": lambda: dout.sum(axis=axes),
            f"dgamma was averaged over the {layer.samples} samples instead of summed": lambda: (dout * xhat).mean(axis=axes),
        },
        "dbeta": {
            f"dbeta was averaged over the {layer.samples} samples instead of summed": lambda: dout.mean(axis=axes),
            f"this is dgamma: {out_of_order}": lambda: (dout * xhat).sum(axis=axes),
        },
    }


# ====================================================================== the checks
def expect_value_error(call: Callable[[], Any], fn: str, mode: str) -> None:
    """The call must raise ValueError (the stub's NotImplementedError passes through as 'not implemented')."""
    try:
        value = call()
    except CandidateRaised as exc:
        if exc.not_implemented:
            raise
        if re.match(rf"{re.escape(fn)} raised ValueError\b", exc.message):
            return
        raise CheckFailed(f"bn_param['mode'] = {mode!r} must raise ValueError; instead {exc.message}") from None
    raise CheckFailed(
        f"{fn} accepted bn_param['mode'] = {mode!r} and returned {describe(value)}: any mode other than 'train' or "
        "'test' must raise ValueError (a typo must not silently run the test-mode branch)"
    )


class RunningBatchNormChecks:
    """Subclass as `class TestX(RunningBatchNormChecks)` and set the attributes below."""

    layer: BnLayer
    contract_shape: tuple[int, ...]
    hidden_cases: tuple[BnCase, ...] = ()
    test_mode_cases: tuple[BnCase, ...] = ()
    one_step_cases: tuple[BnCase, ...] = ()
    gradcheck_cases: tuple[BnCase, ...] = ()
    gradcheck_threshold: float = 1e-6
    speed_sizes: tuple[tuple[int, ...], ...] = ()
    speed_label: str = ""
    speed_probes: Probes = DEFAULT_PROBES

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker("cases")
        axes: list[tuple[str, list, list[str]]] = []
        if "backward" in metafunc.fixturenames:
            names = list(self.layer.backwards)
            axes.append(("backward", names, names if len(names) > 1 else [""] * len(names)))
        if marker is not None:
            chosen = list(getattr(self, marker.args[0]))
            axes.append(("case", chosen, [c.label for c in chosen]))
        if "param" in metafunc.fixturenames:
            axes.append(("param", ["x", "gamma", "beta"], ["dx", "dgamma", "dbeta"]))
        if not axes:
            return
        combos = list(itertools.product(*(range(len(values)) for _, values, _ in axes)))
        params = [tuple(axes[k][1][i] for k, i in enumerate(combo)) for combo in combos]
        ids = [", ".join(part for part in (axes[k][2][i] for k, i in enumerate(combo)) if part) for combo in combos]
        names = tuple(name for name, _, _ in axes)
        if len(names) == 1:
            metafunc.parametrize(names[0], [p[0] for p in params], ids=ids)
        else:
            metafunc.parametrize(names, params, ids=ids)

    def contract_inputs(self, rng: np.random.Generator, **changes: Any) -> Inputs:
        return self.layer.make_inputs(rng, replace(BnCase("contract", self.contract_shape), **changes))

    # ================================================================== contract
    @category("contract")
    def test_train_returns_output_and_cache(self, candidate: Any, rng: np.random.Generator) -> None:
        """train mode returns (out, cache), out shaped like x"""
        inputs = self.contract_inputs(rng)
        out, _, _, _ = self.layer.run_forward(candidate, inputs, "train")
        expect_array(out, "out (train mode)", shape=inputs.x.shape, dtype=inputs.x.dtype)

    @category("contract")
    def test_test_mode_returns_output(self, candidate: Any, rng: np.random.Generator) -> None:
        """test mode returns (out, cache), out shaped like x"""
        inputs = self.contract_inputs(rng, running=True)
        out, _, _, _ = self.layer.run_forward(candidate, inputs, "test")
        expect_array(out, "out (test mode)", shape=inputs.x.shape, dtype=inputs.x.dtype)

    @category("contract")
    def test_backward_returns_gradients(self, backward: str, candidate: Any, rng: np.random.Generator) -> None:
        """backward returns (dx, dgamma, dbeta) shaped like x, gamma, beta"""
        inputs = self.contract_inputs(rng)
        _, cache, _, _ = self.layer.run_forward(candidate, inputs, "train")
        grads = self.layer.run_backward(candidate, backward, self.layer.dout(rng, inputs), cache)
        for name, grad, param in zip(("dx", "dgamma", "dbeta"), grads, (inputs.x, inputs.gamma, inputs.beta)):
            expect_array(grad, f"{backward}: {name}", shape=param.shape)

    @category("contract")
    def test_keeps_float32(self, candidate: Any, rng: np.random.Generator) -> None:
        """float32 in, float32 out (train, test, backward)"""
        inputs = self.contract_inputs(rng, dtype="float32", running=True)
        out, cache, _, _ = self.layer.run_forward(candidate, inputs, "train")
        expect_array(out, "out (train mode)", dtype=np.float32)
        dout = self.layer.dout(rng, inputs)
        for backward in self.layer.backwards:
            for name, grad in zip(("dx", "dgamma", "dbeta"), self.layer.run_backward(candidate, backward, dout, cache)):
                expect_array(grad, f"{backward}: {name}", dtype=np.float32)
        out, _, _, _ = self.layer.run_forward(candidate, inputs, "test")
        expect_array(out, "out (test mode, float32 running statistics)", dtype=np.float32)

    @category("contract")
    def test_inputs_not_modified(self, candidate: Any, rng: np.random.Generator) -> None:
        """inputs are not modified in place (train, backward, test)"""
        inputs = self.contract_inputs(rng, running=True)
        before = (inputs.x.copy(), inputs.gamma.copy(), inputs.beta.copy())
        forward = getattr(candidate, self.layer.forward)
        _, cache, _, result = self.layer.run_forward(candidate, inputs, "train")
        assert_unchanged(f"{self.layer.forward} (train mode)", ("x", "gamma", "beta"), before, result.args_after)
        for backward in self.layer.backwards:
            dout = self.layer.dout(rng, inputs)
            back = getattr(candidate, backward).run(dout, cache, return_args=True)
            assert_unchanged(backward, ("dout",), (dout,), back.args_after)
            # The cache may hold the caller's own x: backward must not write into it either.
            assert_unchanged(f"{backward} (through the cache)", ("x", "gamma", "beta"), before, forward.arguments_now(result))
        _, _, _, result = self.layer.run_forward(candidate, inputs, "test")
        assert_unchanged(f"{self.layer.forward} (test mode)", ("x", "gamma", "beta"), before, result.args_after)

    @category("contract")
    def test_train_stores_running_stats(self, candidate: Any, rng: np.random.Generator) -> None:
        """train mode stores running_mean and running_var in bn_param"""
        inputs = self.contract_inputs(rng)
        _, _, after, _ = self.layer.run_forward(candidate, inputs, "train")
        self.layer.stored_stats(after, inputs.x.shape[1], "a train-mode call with bn_param = {'mode': 'train'}")

    @category("contract")
    def test_test_mode_keeps_running_stats(self, candidate: Any, rng: np.random.Generator) -> None:
        """test mode leaves the running statistics unchanged"""
        inputs = self.contract_inputs(rng, running=True, momentum=0.8)
        _, _, after, _ = self.layer.run_forward(candidate, inputs, "test")
        rm, rv = self.layer.stored_stats(after, inputs.x.shape[1], "a test-mode call")
        for key, got in zip(STATS, (rm, rv)):
            want = inputs.bn[key]
            if got.shape != want.shape or not np.array_equal(got, want):
                raise CheckFailed(
                    f"test mode changed bn_param[{key!r}] ({first_difference(want, got)}): only train mode updates the "
                    "running statistics; test mode just reads them"
                )

    @category("contract")
    def test_unknown_mode_raises(self, candidate: Any, rng: np.random.Generator) -> None:
        """a mode other than 'train' or 'test' raises ValueError"""
        inputs = self.contract_inputs(rng, running=True)
        forward = getattr(candidate, self.layer.forward)
        for mode in ("eval", "Train"):
            expect_value_error(lambda: forward(inputs.x, inputs.gamma, inputs.beta, inputs.param(mode)), self.layer.forward, mode)

    @category("contract")
    def test_finite_on_constant_input(self, candidate: Any, rng: np.random.Generator) -> None:
        """finite results for zero-variance input"""
        inputs = self.contract_inputs(rng, data="constant")
        out, cache, after, _ = self.layer.run_forward(candidate, inputs, "train")
        found = [("out", out)]
        for backward in self.layer.backwards:
            grads = self.layer.run_backward(candidate, backward, self.layer.dout(rng, inputs), cache)
            found += [(f"{backward}: {name}", g) for name, g in zip(("dx", "dgamma", "dbeta"), grads)]
        for name, value in found:
            expect_array(value, name)
            if not np.all(np.isfinite(value)):
                raise CheckFailed(f"{name} contains NaN or inf when the variance is 0: is eps inside the square root?")

    @category("contract")
    def test_cache_belongs_to_its_call(self, backward: str, candidate: Any, rng: np.random.Generator) -> None:
        """backward uses its own cache (no global state)"""
        first, second = self.contract_inputs(rng), self.contract_inputs(rng)
        dout = self.layer.dout(rng, first)
        _, cache, _, _ = self.layer.run_forward(candidate, first, "train")
        alone = self.layer.run_backward(candidate, backward, dout, cache)
        _, cache, _, _ = self.layer.run_forward(candidate, first, "train")
        self.layer.run_forward(candidate, second, "train")
        interleaved = self.layer.run_backward(candidate, backward, dout, cache)
        assert_cache_isolated(("dx", "dgamma", "dbeta"), alone, interleaved, prefix=f"{backward}: ")

    # ================================================================== hidden (against the reference)
    @category("hidden")
    @cases("hidden_cases")
    def test_train_forward_matches_reference(self, case: BnCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """train-mode forward vs reference"""
        inputs = self.layer.make_inputs(rng, case)
        want, _, _ = self.layer.reference_forward(reference, inputs, "train")
        got, _, _, _ = self.layer.run_forward(candidate, inputs, "train")
        diagnoses = train_forward_mistakes(self.layer, inputs)
        assert_close(got, want, "out", rtol=case.rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)

    @category("hidden")
    @cases("hidden_cases")
    def test_backward_matches_reference(
        self, backward: str, case: BnCase, candidate: Any, reference: Any, rng: np.random.Generator
    ) -> None:
        """backward vs reference"""
        inputs = self.layer.make_inputs(rng, case)
        dout = self.layer.dout(rng, inputs)
        want = self.layer.reference_backward(reference, backward, inputs, dout)
        _, cache, _, _ = self.layer.run_forward(candidate, inputs, "train")
        got = self.layer.run_backward(candidate, backward, dout, cache)
        diagnoses = grad_mistakes(self.layer, inputs, dout)
        for name, g, w in zip(("dx", "dgamma", "dbeta"), got, want):
            assert_close(g, w, f"{backward}: {name}", rtol=case.rtol * 10, dtype=inputs.x.dtype, diagnoses=diagnoses[name])

    @category("hidden")
    @cases("one_step_cases")
    def test_running_stats_after_one_step(self, case: BnCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """running statistics after one train step"""
        inputs = self.layer.make_inputs(rng, case)
        _, _, want = self.layer.reference_forward(reference, inputs, "train")
        out, _, after, _ = self.layer.run_forward(candidate, inputs, "train")
        shown = {k: ("given" if isinstance(v, np.ndarray) else v) for k, v in inputs.param("train").items()}
        got = self.layer.stored_stats(after, inputs.x.shape[1], f"one train step with bn_param = {shown}")
        diagnoses = running_stat_mistakes(self.layer, inputs)
        for key, value in zip(STATS, got):
            assert_close(value, want[key], f"bn_param[{key!r}]", rtol=case.rtol, diagnoses=diagnoses[key])

    @category("hidden")
    def test_running_stats_accumulate(self, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """running statistics after 3 train steps through one bn_param (momentum=0.8)"""
        c = self.contract_shape[1]
        batches = [self.layer.make_inputs(rng, BnCase("step", self.contract_shape)) for _ in range(3)]
        mine, theirs = {"mode": "train", "momentum": 0.8}, {"mode": "train", "momentum": 0.8}
        for step, inputs in enumerate(batches, 1):
            _, _, mine = self.layer.reference_forward(reference, inputs, "train", mine)
            _, _, theirs, _ = self.layer.run_forward(candidate, inputs, "train", theirs)
            got = self.layer.stored_stats(theirs, c, f"train step {step}")
            # A step that restarted from the defaults leaves what this batch alone gives a fresh bn_param.
            _, _, restarted = self.layer.reference_forward(reference, inputs, "train", {"mode": "train", "momentum": 0.8})
            for key, value in zip(STATS, got):
                restart = {
                    "each step started again from the defaults: it must start from the running statistics already in bn_param "
                    "(bn_param.get('running_mean', zeros))": lambda key=key: restarted[key]
                }
                assert_close(value, mine[key], f"bn_param[{key!r}] after step {step}", rtol=1e-7, diagnoses=restart if step > 1 else None)

    @category("hidden")
    @cases("test_mode_cases")
    def test_test_forward_matches_reference(self, case: BnCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """test-mode forward vs reference (given running statistics)"""
        inputs = self.layer.make_inputs(rng, case)
        want, _, _ = self.layer.reference_forward(reference, inputs, "test")
        got, _, _, _ = self.layer.run_forward(candidate, inputs, "test")
        diagnoses = inference_mistakes(self.layer, inputs)
        assert_close(got, want, "out (test mode)", rtol=case.rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)

    @category("hidden")
    def test_train_then_test(self, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """5 train steps, then test mode on a new batch, through one bn_param (eps=0.01)"""
        shape, c, eps, steps = self.contract_shape, self.contract_shape[1], 1e-2, 5
        gamma, beta = rng.normal(1.0, 0.5, c), rng.normal(0.0, 1.0, c)
        mine: dict = {"mode": "train", "eps": eps}
        theirs: dict = dict(mine)
        for step in range(1, steps + 1):
            inputs = self.layer.make_inputs(rng, BnCase("step", shape))
            inputs.gamma, inputs.beta = gamma, beta
            _, _, mine = self.layer.reference_forward(reference, inputs, "train", mine)
            _, _, theirs, _ = self.layer.run_forward(candidate, inputs, "train", theirs)
            self.layer.stored_stats(theirs, c, f"train step {step}")
        inputs = self.layer.make_inputs(rng, BnCase("test", shape))
        inputs.gamma, inputs.beta = gamma, beta
        want, _, _ = self.layer.reference_forward(reference, inputs, "test", mine)
        got, _, _, _ = self.layer.run_forward(candidate, inputs, "test", theirs)
        # What the test-mode output becomes when the running statistics went wrong during training.
        rm, rv = mine["running_mean"], mine["running_var"]
        count = inputs.x.size // c
        known = Inputs(inputs.x, gamma, beta, {"eps": eps, "running_mean": rm, "running_var": rv})
        diagnoses = {
            "eps was added to the stored running variance during training and again at test time": lambda: (
                inference_output(inputs.x, gamma, beta, rm, rv + eps * (1 - DEFAULT_MOMENTUM**steps), eps)
            ),
            "the running variance used the unbiased batch variance (ddof=1)": lambda: (
                inference_output(inputs.x, gamma, beta, rm, rv * count / (count - 1), eps)
            ),
            **inference_mistakes(self.layer, known),
        }
        assert_close(got, want, f"out (test mode, after {steps} train steps)", rtol=1e-7, diagnoses=diagnoses)

    # ================================================================== gradcheck
    @category("gradcheck")
    @cases("gradcheck_cases")
    def test_gradient_matches_numerical(
        self, backward: str, case: BnCase, param: str, candidate: Any, rng: np.random.Generator, report: Any
    ) -> None:
        """matches central differences of your train-mode forward"""
        inputs = self.layer.make_inputs(rng, case)
        dout = rng.standard_normal(inputs.x.shape)
        _, cache, _, _ = self.layer.run_forward(candidate, inputs, "train")
        grads = self.layer.run_backward(candidate, backward, dout, cache)
        index = ("x", "gamma", "beta").index(param)
        args = (inputs.x, inputs.gamma, inputs.beta, inputs.param("train"))
        numeric = remote_numerical_gradient(getattr(candidate, self.layer.forward), args, {}, index, dout)
        what = f"{backward}: {('dx', 'dgamma', 'dbeta')[index]}"
        err = assert_gradient(grads[index], numeric, what, self.gradcheck_threshold)
        report.note(f"relative error {err:.1e} (threshold {self.gradcheck_threshold:.0e})")

    # ================================================================== speed
    def speed_workload(self) -> Workload:
        raise NotImplementedError

    @category("speed")
    def test_speed(self, worker: Any, seed: int, report: Any) -> None:
        """forward + backward time vs reference (train mode)"""
        figure = measure_speed(
            worker, self.speed_label, self.speed_workload(), list(self.speed_sizes), seed=seed, probes=self.speed_probes
        )
        report.speed(figure.ratio, figure.describe())


def describe_relative_speed(speed: RelativeSpeed, fast: str, slow: str) -> str:
    """`fast` (the variant) against `slow`, both the candidate's; each one's loops show against the reference."""
    figure = speed.figure
    text = f"your {fast} takes {figure.ratio:.2f}× the {figure.clock} of your {slow} {figure.details()}"
    loops = [f"your {name} takes {seen.loop_evidence()}" for name, seen in ((fast, speed.variant), (slow, speed.original)) if seen.loops]
    if loops:
        return f"not vectorized? {'; '.join(loops)}. {text}"
    if figure.ratio >= 1.0:
        return f"not faster: {text}. The closed form needs fewer passes over the data than the staged graph"
    return text
