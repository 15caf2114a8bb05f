"""Hidden checks for torch_rmsnorm: the candidate's RMSNorm against the formula and torch.nn.RMSNorm.

The candidate's module lives in the worker. The grader holds two references the candidate never touches:
RMSNorm's closed-form forward and gradients in float64 (torch_rmsnorm_checks.py, beside this suite), and, on a torch
that has it (2.4+), PyTorch's own nn.RMSNorm run here with the same weight. Every comparison is made here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.kit import CheckFailed, assert_close, category, spec_examples
from grader.kit.torch_kit import (
    NORM_KERNELS,
    assert_input_kept,
    assert_jacobians,
    assert_run_matches,
    assert_same_keys,
    assert_shape_and_dtype_kept,
    assert_written_by_hand,
    build,
    load_state_dict,
    parameter_names,
    reference_run,
    run_module,
    state_dict,
    tensor,
)
from torch_rmsnorm_checks import (
    SPEC_EPS,
    Case,
    as_shape,
    assert_matches_formula,
    rms_forward,
    rms_forward_diagnoses,
)

test_examples = spec_examples(__file__)

HAS_NN_RMSNORM = hasattr(torch.nn, "RMSNorm")  # torch 2.4+; on an older torch the formula is the only reference

HIDDEN = (
    Case("rows, D=8", 8, (5,)),
    Case("(batch, time, D)", 16, (2, 3)),
    Case("(N, C, H, W) over (H, W)", (4, 5), (2, 3)),
    Case("over every dim (C, H, W)", (3, 4, 5), (2,)),
    Case("a 1-tuple shape", (6,), (4,)),
    Case("no leading dims", 7, ()),
    Case("tiny root mean square", 12, (3, 2), data="tiny"),
    Case("all-zero samples", (2, 3), (4,), data="zeros"),
    Case("large values", 32, (4,), data="large"),
    Case("constant samples", 6, (4,), data="constant"),
    Case("eps=1e-3", 10, (4,), data="tiny", eps=1e-3),
    Case("float64", (3, 4), (2,), dtype="float64"),
)


def _nn_rmsnorm(shape, eps: float):
    return torch.nn.RMSNorm(shape, eps=eps) if HAS_NN_RMSNORM else None


def _module(candidate, worker, case: Case, weight: np.ndarray):
    """The candidate's module with `weight` loaded (float64 when the case is)."""
    mine = build(candidate, "RMSNorm", case.shape, **case.kwargs)
    if case.dtype == "float64":
        mine = mine.double()
    try:
        load_state_dict(worker, mine, {"weight": weight.astype(np.float32)})
    except CheckFailed as failed:
        raise CheckFailed(f"{failed.message} (the state dict must hold exactly one entry, `weight`, an nn.Parameter of shape "
                          f"{case.normalized}, as nn.RMSNorm's does)") from None
    return mine


# ====================================================================== contract


@category("contract")
@pytest.mark.parametrize("shape", [5, (5,), (3, 4)], ids=["int 5", "tuple (5,)", "tuple (3, 4)"])
def test_weight_registered_like_nn_rmsnorm(candidate, worker, shape) -> None:
    """weight is the only parameter: an nn.Parameter of shape normalized_shape, starting at ones"""
    mine = build(candidate, "RMSNorm", shape)
    names = parameter_names(worker, mine)
    got = state_dict(worker, mine)
    extra = sorted(set(got) - {"weight"})
    if "bias" in extra or "bias" in names:
        raise CheckFailed("the module has a bias: RMSNorm only rescales (y = x / rms * weight), it has no shift")
    assert_same_keys(got, {"weight": None}, "state_dict()")
    if names != ["weight"]:
        raise CheckFailed(f"trainable parameters are {names}: weight must be an nn.Parameter (a plain tensor attribute is not trained)")
    normalized = as_shape(shape)
    if got["weight"].shape != normalized:
        raise CheckFailed(f"weight has shape {got['weight'].shape}; nn.RMSNorm's has {normalized} (normalized_shape as a tuple)")
    if not np.array_equal(got["weight"], np.ones(normalized)):
        raise CheckFailed(f"weight should start as ones; it starts as {got['weight'].ravel()[:4]}…")


@category("contract")
def test_state_dict_loads_both_ways(candidate, worker, rng, report) -> None:
    """state dicts load into nn.RMSNorm(shape, eps=...) and back, and both modules then agree"""
    shape, eps = (2, 3), 1e-5
    mine = build(candidate, "RMSNorm", shape, eps=eps)
    ours = state_dict(worker, mine)
    assert_same_keys(ours, {"weight": None}, "state_dict()")
    weight = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    x = (rng.standard_normal((4, *shape)) + 1.0).astype(np.float32)
    theirs = _nn_rmsnorm(shape, eps)
    if theirs is None:
        load_state_dict(worker, mine, {"weight": weight})
        got = run_module(worker, mine, tensor(x)).output
        assert_close(got, rms_forward(x, shape, eps, weight), "after loading a weight", rtol=1e-4)
        report.note("this torch has no nn.RMSNorm (2.4+): the state dict was checked against the formula")
        return
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.items()})  # ours into theirs
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(weight))
    load_state_dict(worker, mine, {k: v.numpy() for k, v in theirs.state_dict().items()})  # and theirs into ours
    got, want = run_module(worker, mine, tensor(x)), reference_run(theirs, tensor(x))
    assert_run_matches(got, want, "after loading nn.RMSNorm's weight", rtol=1e-4)


@category("contract")
def test_does_not_call_builtin_rms_norm(candidate, worker, rng) -> None:
    """the forward pass is written from tensor operations, not F.rms_norm or nn.RMSNorm"""
    mine = build(candidate, "RMSNorm", 6)
    run = run_module(worker, mine, tensor(rng.standard_normal((3, 6)).astype(np.float32)))
    assert_written_by_hand(worker, run.ops, NORM_KERNELS, "forward", "F.rms_norm")


@category("contract")
def test_input_not_modified(candidate, worker, rng) -> None:
    """x is left as it was (no in-place operations on the input)"""
    mine = build(candidate, "RMSNorm", 5)
    x = (rng.standard_normal((4, 5)) + 0.5).astype(np.float32)
    assert_input_kept(worker, mine, x)


@category("contract")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_and_shape_kept(candidate, worker, rng, dtype) -> None:
    """the output has x's shape and dtype"""
    assert_shape_and_dtype_kept(worker, build(candidate, "RMSNorm", 4), rng.standard_normal((2, 3, 4)).astype(dtype))


@category("contract")
def test_default_eps(candidate, worker, rng) -> None:
    """eps defaults to 1e-5, inside the square root"""
    mine = build(candidate, "RMSNorm", 6).double()
    x = 1e-3 * (rng.standard_normal((4, 6)) + rng.uniform(-1, 1, (4, 1)))
    got = run_module(worker, mine, tensor(x)).output
    assert_close(got, rms_forward(x, (6,), SPEC_EPS, np.ones(6)), "output on a tiny input with the default eps", rtol=1e-6,
                 diagnoses=rms_forward_diagnoses(x, (6,), SPEC_EPS))


@category("contract")
def test_zero_samples_are_finite(candidate, worker, rng) -> None:
    """an all-zero sample comes out as zeros, with finite gradients"""
    mine = build(candidate, "RMSNorm", 5)
    x = np.zeros((3, 5), dtype=np.float32)
    x[1] = rng.standard_normal(5) + 1.0
    run = run_module(worker, mine, tensor(x, grad=True), grad_output=rng.standard_normal(x.shape).astype(np.float32))
    values = {"the output": run.output, "the gradient of x": run.input_grads[0] if run.input_grads else None,
              "the gradient of weight": run.param_grads.get("weight")}
    for what, value in values.items():
        if isinstance(value, np.ndarray) and not np.all(np.isfinite(value)):
            raise CheckFailed(
                f"{what} contains NaN or inf for an all-zero sample: mean(x ** 2) is 0 there, so eps must sit inside the "
                "square root (x / sqrt(mean(x ** 2) + eps)), and nothing may divide by the rms alone"
            )
    if isinstance(run.output, np.ndarray) and run.output.shape == x.shape and np.any(run.output[[0, 2]] != 0):
        raise CheckFailed(f"an all-zero sample should come out as zeros; it came out as {run.output[0][:4]}…")


# ====================================================================== hidden


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN, ids=str)
def test_matches_formula_and_nn_rmsnorm(candidate, worker, rng, report, case: Case) -> None:
    """forward and gradients (x, weight) match the formula and nn.RMSNorm"""
    weight = rng.uniform(0.5, 1.5, case.normalized)
    mine = _module(candidate, worker, case, weight)
    weight = weight.astype(np.float32).astype(np.float64)  # what the module holds
    x = case.inputs(rng)
    dy = rng.standard_normal(x.shape).astype(case.dtype)
    got = run_module(worker, mine, tensor(x, grad=True), grad_output=dy)
    assert_matches_formula(got, x, dy, case, weight, case.label)
    theirs = _nn_rmsnorm(case.shape, case.eps_value)
    if theirs is None:
        report.note("this torch has no nn.RMSNorm (2.4+): compared with the formula only")
        return
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(weight))
    if case.dtype == "float64":
        theirs = theirs.double()
    want = reference_run(theirs, tensor(x, grad=True), grad_output=dy)
    rtol = 1e-4 if case.dtype == "float32" else 1e-9
    assert_run_matches(got, want, f"{case.label}, against nn.RMSNorm", rtol=rtol if case.data in ("normal", "constant") else 10 * rtol)


@category("hidden")
def test_samples_are_independent(candidate, worker, rng) -> None:
    """a sample's output does not depend on the other samples in the batch"""
    mine = build(candidate, "RMSNorm", 8)
    x = (rng.standard_normal((6, 8)) * rng.uniform(0.5, 3.0, (6, 1))).astype(np.float32)
    whole = run_module(worker, mine, tensor(x)).output
    first = run_module(worker, mine, tensor(x[:1])).output
    if not isinstance(whole, np.ndarray) or not isinstance(first, np.ndarray) or whole.shape != x.shape:
        raise CheckFailed("forward should return a tensor of x's shape")
    if not np.allclose(whole[:1], first, atol=1e-5):
        raise CheckFailed("sample 0 comes out differently alone than in a batch of 6: the mean square was taken across the "
                          "batch (dim 0, or the whole tensor) instead of over each sample's normalized dims")


GRADCHECK = (("rows", 4, (3,)), ("(batch, time, D)", 3, (2, 2)), ("tuple (2, 3)", (2, 3), (2,)))


@category("gradcheck")
@pytest.mark.parametrize("label, shape, lead", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(candidate, worker, rng, report, label, shape, lead) -> None:
    """torch.autograd.gradcheck in float64: x and weight"""
    mine = build(candidate, "RMSNorm", shape)
    normalized = as_shape(shape)
    load_state_dict(worker, mine, {"weight": rng.uniform(0.5, 1.5, normalized).astype(np.float32)})
    x = rng.standard_normal(lead + normalized) + rng.uniform(-1, 1, lead + (1,) * len(normalized))
    report.note(assert_jacobians(worker, mine, tensor(x, grad=True, dtype="float64")))
