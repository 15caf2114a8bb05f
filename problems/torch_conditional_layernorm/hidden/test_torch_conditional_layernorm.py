"""Hidden checks for torch_conditional_layernorm: the candidate's ConditionalLayerNorm, judged in the grader.

The candidate's module lives in the worker; weights reach it through its state dict (gamma_proj.* and
beta_proj.*, the names the spec fixes). The grader's references are the formula in NumPy float64 and
`GraderConditionalLayerNorm`, the same layer built here from the same state dict, whose autograd gives
the gradients of x, condition and every parameter. Every comparison is made here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.kit import CheckFailed, assert_close, category, spec_examples
from torch_conditional_layernorm_checks import (
    SPEC_EPS,
    Case,
    GraderConditionalLayerNorm,
    as_shape,
    assert_gradients_match,
    assert_identity_init,
    assert_output_matches,
    assert_state_dict_layout,
    cln_forward,
    cln_forward_diagnoses,
    identity_state,
    random_state,
    run_cln,
)
from grader.kit.layers import assert_unchanged
from grader.kit.torch_kit import (
    OUT_OF_PLACE,
    assert_jacobians,
    assert_output_like,
    build,
    load_state_dict,
    parameter_names,
    reference_run,
    run_script,
    state_dict,
    tensor,
)

test_examples = spec_examples(__file__)

HIDDEN = (
    Case("(batch, D)", 8, (5,), 3),
    Case("(batch, time, D)", 16, (2, 5), 4),
    Case("batch = time", 6, (4, 4), 3),
    Case("(N, C, H, W) over (H, W)", (3, 4), (2, 3), 2),
    Case("a single condition feature", 8, (4,), 1),
    Case("K > D", 3, (4, 2), 9),
    Case("K = D", 6, (3,), 6),
    Case("one-hot conditions", 10, (6,), 4, condition="onehot"),
    Case("a batch of one", 7, (1, 3), 3),
    Case("tiny variance", 12, (3, 2), 3, data="tiny_var"),
    Case("constant samples", 6, (4,), 2, data="constant"),
    Case("large mean in float32", 32, (4,), 3, data="offset"),
    Case("eps=1e-3", 10, (4,), 3, data="tiny_var", eps=1e-3),
    Case("float64", (3, 4), (2, 2), 3, dtype="float64"),
)
LAYOUTS = [(5, 3), ((2, 3), 4)]
LAYOUT_IDS = ["D=5, K=3", "(2, 3), K=4"]


def _module(candidate, worker, case: Case, state: dict | None):
    """The candidate's module, float64 when the case is, with `state` loaded (None: as constructed)."""
    mine = build(candidate, "ConditionalLayerNorm", case.shape, case.k, **case.kwargs)
    if case.dtype == "float64":
        mine = mine.double()
    if state is not None:
        try:
            load_state_dict(worker, mine, state)
        except CheckFailed as failed:
            raise CheckFailed(f"{failed.message} (the spec fixes the parameters: gamma_proj and beta_proj, two "
                              f"nn.Linear({case.k}, D) layers, and nothing else)") from None
    return mine


def _grader_module(case: Case, state: dict) -> GraderConditionalLayerNorm:
    dtype = torch.float64 if case.dtype == "float64" else torch.float32
    return GraderConditionalLayerNorm(case.normalized, case.k, case.eps_value, state, dtype)


# ====================================================================== contract


@category("contract")
@pytest.mark.parametrize("shape, k", LAYOUTS, ids=LAYOUT_IDS)
def test_parameters_are_the_two_projections(candidate, worker, shape, k) -> None:
    """exactly gamma_proj and beta_proj, nn.Linear(condition_size, D), registered as parameters"""
    mine = build(candidate, "ConditionalLayerNorm", shape, k)
    names = parameter_names(worker, mine)
    assert_state_dict_layout(state_dict(worker, mine), names, as_shape(shape), k)


@category("contract")
@pytest.mark.parametrize("shape, k", LAYOUTS, ids=LAYOUT_IDS)
def test_initialized_as_identity_modulation(candidate, worker, shape, k) -> None:
    """initialization: zero weights, gamma_proj.bias = 1, beta_proj.bias = 0"""
    mine = build(candidate, "ConditionalLayerNorm", shape, k)
    got = state_dict(worker, mine)
    assert_state_dict_layout(got, parameter_names(worker, mine), as_shape(shape), k)
    assert_identity_init(got, as_shape(shape), k)


INIT_CASES = (
    Case("(batch, D)", 6, (4,), 3),
    Case("(batch, time, D)", 8, (3, 5), 2),
    Case("(N, C, H, W) over (H, W)", (2, 3), (2, 2), 4),
)


@category("contract")
@pytest.mark.parametrize("case", INIT_CASES, ids=str)
def test_starts_as_plain_layernorm(candidate, worker, rng, case: Case) -> None:
    """at initialization the output is nn.LayerNorm(elementwise_affine=False)'s, for any condition"""
    mine = _module(candidate, worker, case, None)
    x, _ = case.inputs(rng)
    conditions = [(3.0 * rng.standard_normal((case.lead[0], case.k))).astype(np.float32) for _ in range(2)]
    plain = torch.nn.LayerNorm(case.shape, eps=SPEC_EPS, elementwise_affine=False)
    want = reference_run(plain, tensor(x)).output
    outputs = [run_cln(worker, mine, x, c).output for c in conditions]
    for got in outputs:
        if isinstance(got, np.ndarray) and got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-4):
            continue
        if all(isinstance(o, np.ndarray) and o.shape == want.shape for o in outputs) and not np.allclose(*outputs, atol=1e-5):
            raise CheckFailed(
                "at initialization the output changes with the condition: the projections should predict gamma = 1 and "
                "beta = 0 for every condition (gamma_proj.weight = 0, gamma_proj.bias = 1, beta_proj all zeros), so the "
                "layer starts as a plain LayerNorm"
            )
        state = identity_state(case.normalized, case.k)
        assert_close(got, want, "output at initialization (compared with nn.LayerNorm(..., elementwise_affine=False))", rtol=1e-4,
                     diagnoses=cln_forward_diagnoses(x, conditions[0], state, case.normalized, SPEC_EPS))


@category("contract")
def test_inputs_not_modified(candidate, worker, rng) -> None:
    """x and condition are left as they were (no in-place operations on the inputs)"""
    case = Case("contract", 5, (4, 3), 2)
    state = random_state(rng, case.normalized, case.k)
    mine = _module(candidate, worker, case, state)
    x, c = case.inputs(rng)
    run = run_cln(worker, mine, x, c, return_args=True)
    assert_unchanged("forward", ("x", "condition"), (x, c), run.args_after, OUT_OF_PLACE)


@category("contract")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_and_shape_kept(candidate, worker, rng, dtype) -> None:
    """the output has x's shape and dtype"""
    case = Case("contract", 4, (2, 3), 2, dtype=dtype)
    mine = _module(candidate, worker, case, None)
    x, c = case.inputs(rng)
    out = run_cln(worker, mine, x, c).output
    assert_output_like(out, x)


@category("contract")
def test_default_eps(candidate, worker, rng) -> None:
    """eps defaults to 1e-5, inside the square root"""
    case = Case("default eps", 6, (4,), 2, data="tiny_var", dtype="float64")
    state = random_state(rng, case.normalized, case.k)
    mine = _module(candidate, worker, case, state)
    x, c = case.inputs(rng)
    got = run_cln(worker, mine, x, c).output
    assert_close(got, cln_forward(x, c, state, case.normalized, SPEC_EPS), "output on a tiny-variance input with the default eps",
                 rtol=1e-6, diagnoses=cln_forward_diagnoses(x, c, state, case.normalized, SPEC_EPS))


# ====================================================================== hidden


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN, ids=str)
def test_matches_formula_and_autograd(candidate, worker, rng, case: Case) -> None:
    """output matches the formula; gradients of x, condition and the parameters match the grader's autograd"""
    state = random_state(rng, case.normalized, case.k)
    mine = _module(candidate, worker, case, state)
    x, c = case.inputs(rng)
    dy = rng.standard_normal(x.shape).astype(case.dtype)
    got = run_cln(worker, mine, x, c, grad=True, grad_output=dy)
    assert_output_matches(got.output, x, c, state, case, case.label)
    want = reference_run(_grader_module(case, state), tensor(x, grad=True), tensor(c, grad=True), grad_output=dy)
    assert_gradients_match(got, want, case.label, rtol=case.rtol)


@category("hidden")
def test_learning_starts_at_initialization(candidate, worker, rng) -> None:
    """at initialization condition gets a zero gradient, the projections' weights do not"""
    case = Case("at initialization", 8, (3, 4), 3)
    mine = _module(candidate, worker, case, None)
    x, c = case.inputs(rng)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    got = run_cln(worker, mine, x, c, grad=True, grad_output=dy)
    want = reference_run(_grader_module(case, identity_state(case.normalized, case.k)), tensor(x, grad=True), tensor(c, grad=True),
                         grad_output=dy)
    assert_close(got.output, want.output, "output at initialization", rtol=1e-4)
    assert_gradients_match(got, want, "at initialization", rtol=1e-4)


@category("hidden")
def test_samples_are_independent(candidate, worker, rng) -> None:
    """a sample's output does not depend on the other samples in the batch"""
    case = Case("independence", 8, (6, 3), 3)
    mine = _module(candidate, worker, case, random_state(rng, case.normalized, case.k))
    x, c = case.inputs(rng)
    whole = run_cln(worker, mine, x, c).output
    first = run_cln(worker, mine, x[:1], c[:1]).output
    if not isinstance(whole, np.ndarray) or not isinstance(first, np.ndarray) or whole.shape != x.shape or first.shape != x[:1].shape:
        raise CheckFailed("forward should return a tensor of x's shape, for a batch of 6 and for a batch of 1")
    if not np.allclose(whole[:1], first, rtol=1e-4, atol=1e-4):
        raise CheckFailed("sample 0 comes out differently alone than in a batch of 6: statistics or conditions were mixed across "
                          "the batch (each sample is normalized over its own positions and modulated by its own condition)")


@category("hidden")
def test_condition_changes_output(candidate, worker, rng) -> None:
    """once the weights are non-zero, two conditions give two outputs, as the formula says"""
    case = Case("two conditions", 8, (3, 4), 3)
    state = random_state(rng, case.normalized, case.k)
    mine = _module(candidate, worker, case, state)
    x, c1 = case.inputs(rng)
    c2 = rng.standard_normal(c1.shape).astype(np.float32)
    y1, y2 = (run_cln(worker, mine, x, c).output for c in (c1, c2))
    if isinstance(y1, np.ndarray) and isinstance(y2, np.ndarray) and y1.shape == y2.shape and np.allclose(y1, y2, atol=1e-6):
        raise CheckFailed("with non-zero projection weights the output does not change with the condition: gamma and beta must "
                          "come from gamma_proj(condition) and beta_proj(condition)")
    want = cln_forward(x, c1, state, case.normalized, SPEC_EPS) - cln_forward(x, c2, state, case.normalized, SPEC_EPS)
    if not (isinstance(y1, np.ndarray) and isinstance(y2, np.ndarray)):
        raise CheckFailed("forward should return a tensor")
    assert_close(y1.astype(np.float64) - y2, want, "output(condition 1) - output(condition 2)", rtol=1e-4)


# Plain SGD written out: torch.optim's first step imports torch._dynamo, about 2 s on this machine.
SGD_DRIVER = """
module = ConditionalLayerNorm(shape, k)
loss = ((module(x, c) - target) ** 2).mean()
loss.backward()
with torch.no_grad():
    for parameter in module.parameters():
        if parameter.grad is not None:
            parameter -= lr * parameter.grad
    y_after = module(x, c_other)
state = {name: value.detach().clone() for name, value in module.state_dict().items()}
"""


@category("hidden")
def test_one_sgd_step_from_initialization(candidate, worker, rng) -> None:
    """one SGD step from the initialization: the grader's parameters, and the condition starts to matter"""
    case = Case("one SGD step", 6, (4, 3), 3)
    x, c = case.inputs(rng)
    c_other = rng.standard_normal(c.shape).astype(np.float32)
    target = rng.standard_normal(x.shape).astype(np.float32)
    lr = 0.5
    got = run_script(worker, SGD_DRIVER, outputs=["state", "y_after"], names=("ConditionalLayerNorm",), label="one SGD step",
                     shape=case.shape, k=case.k, lr=lr, x=tensor(x), c=tensor(c), c_other=tensor(c_other), target=tensor(target))
    theirs = _grader_module(case, identity_state(case.normalized, case.k))
    loss = ((theirs(torch.from_numpy(x), torch.from_numpy(c)) - torch.from_numpy(target)) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter -= lr * parameter.grad
        y_after = theirs(torch.from_numpy(x), torch.from_numpy(c_other)).numpy()
    state = got["state"] if isinstance(got["state"], dict) else {}
    for name, value in theirs.state_dict().items():
        if name not in state:
            raise CheckFailed(f"after one SGD step the module's state dict has no {name!r} (keys: {sorted(state)})")
        assert_close(state[name], value.numpy(), f"{name} after one SGD step (lr={lr}) from the initialization", rtol=1e-4)
    assert_close(got["y_after"], y_after, "output for a new condition after one SGD step", rtol=1e-4)


GRADCHECK = (Case("(batch, D)", 4, (3,), 2), Case("(batch, time, D)", 3, (2, 2), 2))


@category("gradcheck")
@pytest.mark.parametrize("case", GRADCHECK, ids=str)
def test_gradcheck(candidate, worker, rng, report, case: Case) -> None:
    """torch.autograd.gradcheck in float64: x, condition and the four parameters"""
    mine = _module(candidate, worker, case, random_state(rng, case.normalized, case.k))
    x, c = case.inputs(rng)
    report.note(assert_jacobians(worker, mine, tensor(x, grad=True, dtype="float64"), tensor(c, grad=True, dtype="float64")))
