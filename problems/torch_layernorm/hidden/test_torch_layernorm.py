"""Hidden checks for torch_layernorm: the candidate's CustomLayerNorm against torch.nn.LayerNorm itself.

The candidate's module lives in the worker; PyTorch's runs here, on the same inputs and the same weights
(copied across through state dicts), and every comparison is made here.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from grader.kit.torch_norm_mistakes import layernorm_diagnoses

test_examples = spec_examples(__file__)

@dataclass(frozen=True)
class Case:
    label: str
    shape: int | tuple
    lead: tuple
    data: str = "normal"
    eps: float | None = None
    dtype: str = "float32"

    def __str__(self) -> str:
        return self.label

    @property
    def normalized(self) -> tuple:
        return (self.shape,) if isinstance(self.shape, int) else tuple(self.shape)

    def inputs(self, rng: np.random.Generator) -> np.ndarray:
        full = self.lead + self.normalized
        x = rng.standard_normal(full) * rng.uniform(0.5, 3.0) + rng.uniform(-2, 2)
        if self.data == "tiny_var":
            x = 1e-3 * rng.standard_normal(full)
        elif self.data == "offset":
            x = 1000.0 + rng.standard_normal(full)
        elif self.data == "constant":
            x = np.broadcast_to(rng.standard_normal(self.lead + (1,) * len(self.normalized)), full).copy()
        return x.astype(self.dtype)


HIDDEN = (
    Case("rows, D=8", 8, (5,)),
    Case("(batch, time, D)", 16, (2, 3)),
    Case("(N, C, H, W) over (H, W)", (4, 5), (2, 3)),
    Case("over every dim (C, H, W)", (3, 4, 5), (2,)),
    Case("a 1-tuple shape", (6,), (4,)),
    Case("no leading dims", 7, ()),
    Case("tiny variance", 12, (3, 2), data="tiny_var"),
    Case("large mean in float32", 32, (4,), data="offset"),
    Case("constant samples", (2, 3), (3,), data="constant"),
    Case("eps=1e-3", 10, (4,), data="tiny_var", eps=1e-3),
    Case("float64", (3, 4), (2,), dtype="float64"),
)


def _modules(candidate, worker, case: Case, rng: np.random.Generator):
    """The candidate's module and nn.LayerNorm, with the same random weight and bias in both."""
    kwargs = {} if case.eps is None else {"eps": case.eps}
    mine = build(candidate, "CustomLayerNorm", case.shape, **kwargs)
    theirs = torch.nn.LayerNorm(case.shape, **kwargs)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, case.normalized)))
        theirs.bias.copy_(torch.from_numpy(rng.standard_normal(case.normalized)))
    if case.dtype == "float64":
        mine, theirs = mine.double(), theirs.double()
    names = _load_weights(worker, mine, {k: v.numpy() for k, v in theirs.state_dict().items()})
    return mine, theirs, names


def _load_weights(worker, mine, state: dict) -> dict[str, str]:
    """Load nn.LayerNorm's weight and bias into the candidate's module; returns their names in it.

    Parameters registered under other names (gamma and beta, say) fail the contract rows; here they are
    mapped in registration order, scale first, so the math is still checked and its mistakes named.
    """
    names = parameter_names(worker, mine)
    mapping = dict(zip(("weight", "bias"), names)) if len(names) == 2 and sorted(names) != ["bias", "weight"] else {}
    load_state_dict(worker, mine, {mapping.get(k, k): v for k, v in state.items()})
    return mapping


@category("contract")
@pytest.mark.parametrize("shape", [5, (5,), (3, 4)], ids=["int 5", "tuple (5,)", "tuple (3, 4)"])
def test_parameters_registered_like_nn_layernorm(candidate, worker, shape) -> None:
    """weight and bias are registered nn.Parameters, named and shaped as nn.LayerNorm's"""
    mine = build(candidate, "CustomLayerNorm", shape)
    names = parameter_names(worker, mine)
    theirs = torch.nn.LayerNorm(shape)
    got = state_dict(worker, mine)
    assert_same_keys(got, theirs.state_dict(), "state_dict()")
    if sorted(names) != ["bias", "weight"]:
        raise CheckFailed(f"trainable parameters are {names}: weight and bias must be nn.Parameter (a plain tensor attribute is not trained)")
    for name, value in theirs.state_dict().items():
        if got[name].shape != tuple(value.shape):
            raise CheckFailed(f"{name} has shape {got[name].shape}, nn.LayerNorm's has {tuple(value.shape)} (normalized_shape as a tuple)")
        if not np.array_equal(got[name], value.numpy()):
            raise CheckFailed(f"{name} should start as {'ones' if name == 'weight' else 'zeros'}; it starts as {got[name].ravel()[:4]}…")


@category("contract")
def test_state_dict_loads_both_ways(candidate, worker, rng) -> None:
    """state dicts load into nn.LayerNorm and back, and both modules then agree"""
    mine = build(candidate, "CustomLayerNorm", (2, 3))
    theirs = torch.nn.LayerNorm((2, 3))
    mine_state = state_dict(worker, mine)
    assert_same_keys(mine_state, theirs.state_dict(), "your state_dict() cannot load into nn.LayerNorm")
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine_state.items()})
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, (2, 3)).astype(np.float32)))
        theirs.bias.copy_(torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)))
    load_state_dict(worker, mine, {k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    assert_run_matches(run_module(worker, mine, tensor(x)), reference_run(theirs, tensor(x)), "after loading nn.LayerNorm's weights", rtol=1e-4)


@category("contract")
def test_does_not_call_builtin_layer_norm(candidate, worker, rng) -> None:
    """the forward pass is written from tensor operations, not F.layer_norm or nn.LayerNorm"""
    mine = build(candidate, "CustomLayerNorm", 6)
    run = run_module(worker, mine, tensor(rng.standard_normal((3, 6)).astype(np.float32)))
    assert_written_by_hand(worker, run.ops, NORM_KERNELS, "forward", "F.layer_norm")


@category("contract")
def test_input_not_modified(candidate, worker, rng) -> None:
    """x is left as it was (no in-place operations on the input)"""
    mine = build(candidate, "CustomLayerNorm", 5)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    assert_input_kept(worker, mine, x)


@category("contract")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_and_shape_kept(candidate, worker, rng, dtype) -> None:
    """the output has x's shape and dtype"""
    assert_shape_and_dtype_kept(worker, build(candidate, "CustomLayerNorm", 4), rng.standard_normal((2, 3, 4)).astype(dtype))


@category("contract")
def test_default_eps(candidate, worker, rng) -> None:
    """eps defaults to 1e-5, inside the square root"""
    mine = build(candidate, "CustomLayerNorm", 6)
    x = (1e-3 * rng.standard_normal((4, 6))).astype(np.float64)
    got = run_module(worker, mine.double(), tensor(x)).output
    want = reference_run(torch.nn.LayerNorm(6).double(), tensor(x)).output
    assert_close(got, want, "output on a tiny-variance input with the default eps", rtol=1e-6, diagnoses=layernorm_diagnoses(x, (6,), 1e-5))


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN, ids=str)
def test_matches_nn_layernorm(candidate, worker, rng, case: Case) -> None:
    """forward and gradients (x, weight, bias) match nn.LayerNorm"""
    mine, theirs, names = _modules(candidate, worker, case, rng)
    x = case.inputs(rng)
    dy = rng.standard_normal(x.shape).astype(case.dtype)
    got = run_module(worker, mine, tensor(x, grad=True), grad_output=dy)
    want = reference_run(theirs, tensor(x, grad=True), grad_output=dy)
    rtol = 1e-4 if case.dtype == "float32" else 1e-9
    eps = 1e-5 if case.eps is None else case.eps
    weight, bias = (theirs.state_dict()[k].double().numpy() for k in ("weight", "bias"))
    assert_close(got.output, want.output, "output", rtol=rtol, diagnoses=layernorm_diagnoses(x, case.normalized, eps, weight, bias))
    assert_run_matches(
        got, want, case.label, rtol=10 * rtol if case.data in ("tiny_var", "offset", "constant") else rtol, param_names=names
    )


@category("hidden")
def test_samples_are_independent(candidate, worker, rng) -> None:
    """a sample's output does not depend on the other samples in the batch"""
    mine = build(candidate, "CustomLayerNorm", 8)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    whole = run_module(worker, mine, tensor(x)).output
    first = run_module(worker, mine, tensor(x[:1])).output
    if not np.allclose(whole[:1], first, atol=1e-5):
        raise CheckFailed("sample 0 normalizes differently alone than in a batch of 6: statistics were taken across the batch (dim 0?)")


@category("hidden")
def test_train_and_eval_agree(candidate, worker, rng) -> None:
    """LayerNorm has no running statistics: train() and eval() give the same output"""
    mine = build(candidate, "CustomLayerNorm", 8)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    trained = run_module(worker, mine.train(), tensor(x)).output
    evaluated = run_module(worker, mine.eval(), tensor(x)).output
    if not np.allclose(trained, evaluated, atol=1e-6):
        raise CheckFailed("the output changes between train() and eval(): LayerNorm keeps no running statistics")


GRADCHECK = (("rows", 4, (3,)), ("(batch, time, D)", 3, (2, 2)), ("tuple (2, 3)", (2, 3), (2,)))


@category("gradcheck")
@pytest.mark.parametrize("label, shape, lead", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(candidate, worker, rng, report, label, shape, lead) -> None:
    """torch.autograd.gradcheck in float64: x, weight and bias"""
    mine = build(candidate, "CustomLayerNorm", shape)
    normalized = (shape,) if isinstance(shape, int) else shape
    state = {"weight": rng.uniform(0.5, 1.5, normalized), "bias": rng.standard_normal(normalized)}
    _load_weights(worker, mine, {k: v.astype(np.float32) for k, v in state.items()})
    x = rng.standard_normal(lead + tuple(normalized))
    report.note(assert_jacobians(worker, mine, tensor(x, grad=True, dtype="float64")))
