"""Hidden checks for layernorm_module. Rows on the scorecard come from these tests and the spec's examples.

The candidate's LayerNorm objects live in the worker: `candidate.LayerNorm(...)` returns a stand-in whose
attribute reads, attribute assignments and method calls go across the boundary.
"""

from typing import Any

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, assert_gradient, category, expect_array, spec_examples
from grader.kit.ln_module import (
    GRADS,
    ModuleCase,
    as_shape,
    assert_unchanged,
    attribute_numerical_gradient,
    build_layer,
    candidate_eps_default,
    expect_gradient,
    call_backward,
    forward_output,
    make_module_inputs,
    method_numerical_gradient,
    module_forward_mistakes,
    module_grad_mistakes,
    reference_run,
)
from grader.kit.speed import measure_speed
from grader.kit.workload import Workload

test_examples = spec_examples(__file__)

HIDDEN_CASES = (
    ModuleCase("rows", 13, (7,)),
    ModuleCase("(batch, time, D)", 6, (3, 4)),
    ModuleCase("(N, C, H, W) over (H, W)", (4, 5), (2, 3)),
    ModuleCase("(N, C, H, W) over (C, H, W)", (3, 4, 5), (2,)),
    ModuleCase("a 1-tuple", (8,), (5,)),
    ModuleCase("no leading axes", 9, ()),
    ModuleCase("no leading axes, tuple", (3, 4), ()),
    ModuleCase("fresh gamma and beta", (2, 5), (3, 2), params="fresh"),
    ModuleCase("tiny variance", 16, (2, 3), data="tiny_var"),
    ModuleCase("constant samples", (2, 3), (4,), data="constant"),
    ModuleCase("large mean", 12, (3, 2), data="offset"),
    ModuleCase("non-default eps", (2, 4), (5,), data="tiny_var", eps=1e-3),
    ModuleCase("float32", 32, (4, 2), dtype="float32"),
    ModuleCase("a 16×16 plane", (16, 16), (2, 2)),
)
GRADCHECK_CASES = (
    ModuleCase("rows", 5, (4,)),
    ModuleCase("(H, W)", (3, 4), (2, 2)),
    ModuleCase("(batch, time, D)", 4, (2, 3)),
)
GRADCHECK_THRESHOLD = 1e-6
SHAPE_CASES = (
    ModuleCase("int shape, 2 leading axes", 4, (2, 3)),
    ModuleCase("tuple shape", (3, 4), (2,)),
    ModuleCase("no leading axes", 5, ()),
)


def _ids(cases):
    return [c.label for c in cases]


# ====================================================================== contract


@category("contract")
@pytest.mark.parametrize("normalized_shape", [5, (3, 4)], ids=["LayerNorm(5)", "LayerNorm((3, 4))"])
def test_constructor_sets_gamma_and_beta(normalized_shape: Any, candidate: Any) -> None:
    """gamma is ones and beta zeros, of shape normalized_shape"""
    layer = candidate.LayerNorm(normalized_shape)
    want = as_shape(normalized_shape)
    hint = f" (LayerNorm({normalized_shape!r}): an int D means the shape (D,))" if isinstance(normalized_shape, int) else ""
    for name, value, fill in (("gamma", layer.gamma, 1.0), ("beta", layer.beta, 0.0)):
        try:
            expect_array(value, f"self.{name}", shape=want)
        except CheckFailed as failed:
            raise CheckFailed(failed.message + hint) from None
        if not np.all(value == fill):
            raise CheckFailed(f"self.{name} must start as np.{'ones' if fill else 'zeros'}({want}); it holds {value!r}")


@category("contract")
def test_forward_returns_array_shaped_like_x(candidate: Any, rng: np.random.Generator) -> None:
    """forward returns y alone, shaped like x"""
    inputs = make_module_inputs(rng, SHAPE_CASES[0])
    layer = build_layer(candidate, inputs)
    forward_output(layer.forward(inputs.x), inputs.x.shape, inputs.x.dtype)


@category("contract")
@pytest.mark.parametrize("case", SHAPE_CASES, ids=_ids(SHAPE_CASES))
def test_backward_returns_gradients_shaped_like_inputs(case: ModuleCase, candidate: Any, rng: np.random.Generator) -> None:
    """backward returns dx like x, dgamma and dbeta like gamma"""
    inputs = make_module_inputs(rng, case)
    layer = build_layer(candidate, inputs)
    layer.forward(inputs.x)
    grads = call_backward(layer, inputs.dout)
    for name, grad, shape in zip(GRADS, grads, (case.x_shape, case.shape, case.shape)):
        expect_gradient(grad, name, shape)


@category("contract")
def test_keeps_float32(candidate: Any, rng: np.random.Generator) -> None:
    """float32 in (x, gamma, beta), float32 out"""
    inputs = make_module_inputs(rng, ModuleCase("float32", (3, 4), (2,), dtype="float32"))
    layer = build_layer(candidate, inputs)
    forward_output(layer.forward(inputs.x), inputs.x.shape, np.float32)
    for name, grad in zip(GRADS, call_backward(layer, inputs.dout)):
        expect_array(grad, name, dtype=np.float32)


@category("contract")
def test_inputs_not_modified(candidate: Any, rng: np.random.Generator) -> None:
    """x, dout, gamma and beta are not modified in place"""
    inputs = make_module_inputs(rng, ModuleCase("in place", (3, 4), (2,)))
    layer = build_layer(candidate, inputs)
    forward = layer.forward
    result = forward.run(inputs.x, return_args=True)
    assert_unchanged("LayerNorm.forward", ("x",), (inputs.x,), result.args_after)
    back = layer.backward.run(inputs.dout, return_args=True)
    assert_unchanged("LayerNorm.backward", ("dout",), (inputs.dout,), back.args_after)
    # The layer may hold the caller's own x: backward must not write into it either.
    assert_unchanged("LayerNorm.backward (through what forward kept)", ("x",), (inputs.x,), forward.arguments_now(result))
    for name, before in (("gamma", inputs.gamma), ("beta", inputs.beta)):
        now = getattr(layer, name)
        if not (isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before)):
            raise CheckFailed(
                f"self.{name} changed during forward/backward (it was set to an array of shape {before.shape}; now "
                f"{'it differs' if isinstance(now, np.ndarray) and now.shape == before.shape else 'it is ' + repr(now)[:80]}): "
                "forward and backward compute gradients; updating the parameters is the optimizer's job"
            )


@category("contract")
def test_finite_on_constant_input(candidate: Any, rng: np.random.Generator) -> None:
    """finite results for zero-variance samples"""
    inputs = make_module_inputs(rng, ModuleCase("constant", (2, 3), (3,), data="constant"))
    layer = build_layer(candidate, inputs)
    y = forward_output(layer.forward(inputs.x), inputs.x.shape)
    for name, value in zip(("y",) + GRADS, (y,) + call_backward(layer, inputs.dout)):
        if isinstance(value, np.ndarray) and not np.all(np.isfinite(value)):
            raise CheckFailed(f"{name} contains NaN or inf when the variance is 0: is eps inside the square root?")


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=0)


@category("contract")
def test_backward_follows_the_latest_forward(candidate: Any, rng: np.random.Generator) -> None:
    """after a second forward, backward uses its data"""
    case = ModuleCase("twice", 5, (4,))
    first, second = make_module_inputs(rng, case), make_module_inputs(rng, case)
    second.gamma, second.beta = first.gamma, first.beta
    fresh = build_layer(candidate, second)
    fresh.forward(second.x)
    want = call_backward(fresh, second.dout)
    layer = build_layer(candidate, first)
    layer.forward(first.x)
    call_backward(layer, first.dout)
    layer.forward(second.x)
    got = call_backward(layer, second.dout)
    for name, a, b in zip(GRADS, want, got):
        expect_array(a, name)
        if not _same(a, b):
            raise CheckFailed(
                f"{name}: after forward(x1), backward, forward(x2), backward(dout) differs from a fresh layer's "
                "forward(x2), backward(dout): backward must use what the most recent forward saved (overwrite it "
                "on every call, do not compute it only once)"
            )


@category("contract")
def test_layers_do_not_share_state(candidate: Any, rng: np.random.Generator) -> None:
    """two LayerNorm objects keep separate state"""
    case = ModuleCase("two layers", 5, (4,))
    mine, other = make_module_inputs(rng, case), make_module_inputs(rng, case)
    alone = build_layer(candidate, mine)
    alone.forward(mine.x)
    want = call_backward(alone, mine.dout)
    layer = build_layer(candidate, mine)
    layer.forward(mine.x)
    neighbour = build_layer(candidate, other)
    neighbour.forward(other.x)
    got = call_backward(layer, mine.dout)
    for name, a, b in zip(GRADS, want, got):
        expect_array(a, name)
        if not _same(a, b):
            raise CheckFailed(
                f"{name} of one layer changed when another LayerNorm object ran forward in between: keep state on "
                "self (set in __init__/forward), not in module globals or class attributes shared by every instance"
            )


# ====================================================================== hidden (against the reference)


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_forward_matches_reference(case: ModuleCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """forward vs reference"""
    inputs = make_module_inputs(rng, case)
    layer = build_layer(candidate, inputs)
    got = forward_output(layer.forward(inputs.x), inputs.x.shape)
    want, _ = reference_run(reference, inputs)
    diagnoses = module_forward_mistakes(inputs, candidate_eps_default(candidate, "LayerNorm"))
    assert_close(got, want, "y", rtol=case.rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_backward_matches_reference(case: ModuleCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """backward vs reference"""
    inputs = make_module_inputs(rng, case)
    layer = build_layer(candidate, inputs)
    layer.forward(inputs.x)
    got = call_backward(layer, inputs.dout)
    _, want = reference_run(reference, inputs)
    diagnoses = module_grad_mistakes(inputs, candidate_eps_default(candidate, "LayerNorm"))
    for name, g, w in zip(GRADS, got, want):
        expect_gradient(g, name, w.shape)
        assert_close(g, w, name, rtol=case.rtol * 10, dtype=inputs.x.dtype, diagnoses=diagnoses.get(name))


# ====================================================================== gradcheck


@category("gradcheck")
@pytest.mark.parametrize(
    ("case", "param"),
    [(c, p) for c in GRADCHECK_CASES for p in ("x", "gamma", "beta")],
    ids=[f"d{p}, {c.label}" for c in GRADCHECK_CASES for p in ("x", "gamma", "beta")],
)
def test_gradient_matches_numerical(case: ModuleCase, param: str, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """matches central differences"""
    inputs = make_module_inputs(rng, case)
    layer = build_layer(candidate, inputs)
    layer.forward(inputs.x)
    grads = dict(zip(GRADS, call_backward(layer, inputs.dout)))
    if param == "x":
        numeric = method_numerical_gradient(layer.forward, inputs.x, inputs.dout)
    else:
        numeric = attribute_numerical_gradient(layer, param, getattr(inputs, param), inputs.x, inputs.dout)
    expect_gradient(grads[f"d{param}"], f"d{param}", numeric.shape)
    err = assert_gradient(grads[f"d{param}"], numeric, f"d{param}", GRADCHECK_THRESHOLD)
    report.note(f"relative error {err:.1e} (threshold {GRADCHECK_THRESHOLD:.0e})")


# ====================================================================== speed

def speed_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    return rng.random((n, d)) * 4.0 - 1.5, rng.uniform(0.5, 1.5, d), rng.uniform(-1.0, 1.0, d)


def speed_run(impl: Any, x: Any, gamma: Any, beta: Any) -> tuple:
    """A new LayerNorm(D) with the given gamma and beta, forward then backward (its output as the upstream gradient)."""
    layer = impl.LayerNorm(x.shape[1])
    layer.gamma = gamma
    layer.beta = beta
    out = layer.forward(x)
    return out, layer.backward(out)


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """LayerNorm(D): forward + backward time vs reference"""
    sizes = [(1024, 1024), (256, 1024), (64, 1024), (16, 1024)]
    figure = measure_speed(worker, "LayerNorm.forward/backward", Workload(speed_inputs, speed_run), sizes, seed=seed)
    report.speed(figure.ratio, figure.describe())
