"""Hidden checks for conditional_layernorm. Rows on the scorecard come from these tests and the spec's examples."""

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, assert_gradient, category, expect_array, spec_examples
from conditional_layernorm_checks import (
    BACKWARD,
    FORWARD,
    GRADS,
    OUTPUTS,
    PARAMS,
    CondCase,
    call_backward,
    call_forward,
    cond_forward_mistakes,
    cond_grad_mistakes,
    make_cond_inputs,
    plain_layernorm,
    reference_results,
)
from grader.kit.gradcheck import remote_numerical_gradient
from grader.kit.ln_module import assert_unchanged, candidate_eps_default
from grader.kit.layers import unpack
from grader.kit.speed import measure_speed
from grader.kit.workload import Workload

test_examples = spec_examples(__file__)

HIDDEN_CASES = (
    CondCase("N ≠ D", 7, 13, 4),
    CondCase("a single condition feature", 6, 8, 1),
    CondCase("square weights (K = D)", 5, 6, 6),
    CondCase("K > D", 4, 3, 9),
    CondCase("a single row", 1, 9, 3),
    CondCase("one-hot conditions", 8, 10, 4, condition="onehot"),
    CondCase("tiny variance", 5, 16, 3, data="tiny_var"),
    CondCase("constant rows", 4, 6, 2, data="constant"),
    CondCase("large mean", 6, 12, 3, data="offset"),
    CondCase("non-default eps", 5, 10, 3, data="tiny_var", eps=1e-3),
    CondCase("float32", 8, 32, 5, dtype="float32"),
    CondCase("at initialization", 5, 7, 3, init="identity"),
)
GRADCHECK_CASES = (CondCase("small", 4, 5, 3), CondCase("square", 3, 4, 4))
GRADCHECK_THRESHOLD = 1e-6
CONTRACT_CASE = CondCase("contract", 6, 5, 3)


def _ids(cases):
    return [c.label for c in cases]


# ====================================================================== contract


@category("contract")
def test_forward_returns_output_and_cache(candidate: Any, rng: np.random.Generator) -> None:
    """forward returns (y, cache), y shaped like x"""
    inputs = make_cond_inputs(rng, CONTRACT_CASE)
    y, _ = call_forward(candidate, inputs)
    expect_array(y, "y", shape=inputs.x.shape, dtype=inputs.x.dtype)


@category("contract")
def test_backward_returns_gradients_shaped_like_inputs(candidate: Any, rng: np.random.Generator) -> None:
    """backward returns six gradients, each shaped like its input"""
    inputs = make_cond_inputs(rng, CONTRACT_CASE)
    _, cache = call_forward(candidate, inputs)
    for name, grad, param in zip(GRADS, call_backward(candidate, inputs.dy, cache), inputs.args):
        expect_array(grad, name, shape=param.shape)


@category("contract")
def test_keeps_float32(candidate: Any, rng: np.random.Generator) -> None:
    """float32 in, float32 out"""
    inputs = make_cond_inputs(rng, replace(CONTRACT_CASE, dtype="float32"))
    y, cache = call_forward(candidate, inputs)
    expect_array(y, "y", dtype=np.float32)
    for name, grad in zip(GRADS, call_backward(candidate, inputs.dy, cache)):
        expect_array(grad, name, dtype=np.float32)


@category("contract")
def test_inputs_not_modified(candidate: Any, rng: np.random.Generator) -> None:
    """inputs are not modified in place"""
    inputs = make_cond_inputs(rng, CONTRACT_CASE)
    forward = getattr(candidate, FORWARD)
    result = forward.run(*inputs.args, return_args=True, **inputs.kwargs)
    assert_unchanged(FORWARD, PARAMS, inputs.args, result.args_after)
    _, cache = unpack(result.value, OUTPUTS, FORWARD)
    back = getattr(candidate, BACKWARD).run(inputs.dy, cache, return_args=True)
    assert_unchanged(BACKWARD, ("dy",), (inputs.dy,), back.args_after)
    # The cache may hold the caller's own arrays: backward must not write into them either.
    assert_unchanged(f"{BACKWARD} (through the cache)", PARAMS, inputs.args, forward.arguments_now(result))


@category("contract")
def test_finite_on_constant_input(candidate: Any, rng: np.random.Generator) -> None:
    """finite results for zero-variance rows"""
    inputs = make_cond_inputs(rng, replace(CONTRACT_CASE, data="constant"))
    y, cache = call_forward(candidate, inputs)
    expect_array(y, "y", shape=inputs.x.shape)
    for name, value in zip(("y",) + GRADS, (y,) + call_backward(candidate, inputs.dy, cache)):
        if isinstance(value, np.ndarray) and not np.all(np.isfinite(value)):
            raise CheckFailed(f"{name} contains NaN or inf when the variance is 0: is eps inside the square root?")


@category("contract")
def test_cache_belongs_to_its_call(candidate: Any, rng: np.random.Generator) -> None:
    """backward uses its own cache (no global state)"""
    first, second = make_cond_inputs(rng, CONTRACT_CASE), make_cond_inputs(rng, CONTRACT_CASE)
    _, cache = call_forward(candidate, first)
    alone = call_backward(candidate, first.dy, cache)
    _, cache = call_forward(candidate, first)
    call_forward(candidate, second)
    interleaved = call_backward(candidate, first.dy, cache)
    for name, a, b in zip(GRADS, alone, interleaved):
        expect_array(a, name)
        if not (isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=0)):
            raise CheckFailed(
                f"{name} changed when another forward call came between forward(x1, ...) and backward(dy, cache1): "
                "backward must use only the cache it is given; keep state out of globals and function attributes"
            )


# ====================================================================== hidden (against the reference)


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_forward_matches_reference(case: CondCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """forward vs reference"""
    inputs = make_cond_inputs(rng, case)
    got, _ = call_forward(candidate, inputs)
    want, _ = reference_results(reference, inputs)
    diagnoses = cond_forward_mistakes(inputs, candidate_eps_default(candidate, FORWARD))
    assert_close(got, want, "y", rtol=case.rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_backward_matches_reference(case: CondCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """backward vs reference"""
    inputs = make_cond_inputs(rng, case)
    _, cache = call_forward(candidate, inputs)
    got = call_backward(candidate, inputs.dy, cache)
    _, want = reference_results(reference, inputs)
    diagnoses = cond_grad_mistakes(inputs, candidate_eps_default(candidate, FORWARD))
    for name, g, w in zip(GRADS, got, want):
        assert_close(g, w, name, rtol=case.rtol * 10, dtype=inputs.x.dtype, diagnoses=diagnoses.get(name))


@category("hidden")
def test_initialization_is_plain_layernorm(candidate: Any, rng: np.random.Generator) -> None:
    """W_gamma = 0, b_gamma = 1, W_beta = 0, b_beta = 0 is a plain LayerNorm, and dc = 0"""
    inputs = make_cond_inputs(rng, CondCase("identity", 6, 9, 4, init="identity"))
    y, cache = call_forward(candidate, inputs)
    dx, dc, *_ = call_backward(candidate, inputs.dy, cache)
    want_y, want_dx = plain_layernorm(inputs)
    why = " (at initialization gamma = c @ 0 + 1 = 1 and beta = 0 for every row: the output is x_hat)"
    try:
        default = candidate_eps_default(candidate, FORWARD)
        assert_close(y, want_y, "y", rtol=1e-7, dtype=inputs.x.dtype, diagnoses=cond_forward_mistakes(inputs, default))
        assert_close(dx, want_dx, "dx", rtol=1e-6, dtype=inputs.x.dtype, diagnoses=cond_grad_mistakes(inputs, default)["dx"])
        assert_close(dc, np.zeros_like(inputs.c), "dc", rtol=1e-6, dtype=inputs.x.dtype)
    except CheckFailed as failed:
        raise CheckFailed(failed.message + why) from None


# ====================================================================== gradcheck


@category("gradcheck")
@pytest.mark.parametrize(
    ("case", "param"),
    [(c, p) for c in GRADCHECK_CASES for p in PARAMS],
    ids=[f"d{p}, {c.label}" for c in GRADCHECK_CASES for p in PARAMS],
)
def test_gradient_matches_numerical(case: CondCase, param: str, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """matches central differences"""
    inputs = make_cond_inputs(rng, case)
    _, cache = call_forward(candidate, inputs)
    grads = call_backward(candidate, inputs.dy, cache)
    index = PARAMS.index(param)
    numeric = remote_numerical_gradient(getattr(candidate, FORWARD), inputs.args, inputs.kwargs, index, inputs.dy)
    err = assert_gradient(grads[index], numeric, GRADS[index], GRADCHECK_THRESHOLD)
    report.note(f"relative error {err:.1e} (threshold {GRADCHECK_THRESHOLD:.0e})")


# ====================================================================== speed

SPEED_CONDITION = 8  # K, the condition's width


def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    x = rng.random((n, d)) * 4.0 - 1.5
    c = rng.standard_normal((n, SPEED_CONDITION))
    w_gamma, w_beta = rng.normal(0.0, 0.1, (SPEED_CONDITION, d)), rng.normal(0.0, 0.1, (SPEED_CONDITION, d))
    return x, c, w_gamma, rng.uniform(0.5, 1.5, d), w_beta, rng.uniform(-1.0, 1.0, d)


def speed_run(impl: Any, *args: Any) -> tuple:
    """Forward then backward, the forward's output standing for the upstream gradient."""
    y, cache = getattr(impl, FORWARD)(*args)
    return y, getattr(impl, BACKWARD)(y, cache)


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """forward + backward time vs reference"""
    sizes = [(512, 1024), (256, 1024), (64, 1024), (16, 1024)]
    figure = measure_speed(worker, f"{FORWARD}/{BACKWARD}", Workload(speed_inputs, speed_run), sizes, seed=seed)
    report.speed(figure.ratio, figure.describe())
