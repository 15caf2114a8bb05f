"""Hidden checks for torch_layernorm_modalities: the candidate's three modules against PyTorch's own layers.

The candidate's modules live in the worker; the trusted ones (nn.GroupNorm(1, C), nn.LayerNorm on the real
tokens, nn.LayerNorm(F)) run here on the same inputs with the same weights, and every comparison is made
here. Most checks run once per layout; the row's name ends with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from grader.kit import CheckFailed, assert_close, category, spec_examples
from grader.kit.compare import fmt_index
from grader.outcomes import CandidateRaised
from grader.kit.layers import assert_unchanged
from grader.kit.torch_kit import (
    NORM_KERNELS,
    OUT_OF_PLACE,
    assert_jacobians,
    assert_run_matches,
    assert_same_keys,
    assert_written_by_hand,
    build,
    load_state_dict,
    parameter_names,
    reference_run,
    run_module,
    state_dict,
    tensor,
)
from torch_layernorm_modalities_checks import (
    IMAGE,
    LAYOUTS,
    SERIES,
    TEXT,
    Case,
    CaseInputs,
    Layout,
    Lazy,
    assert_layer_run,
    forward_diagnoses,
    make_inputs,
)

test_examples = spec_examples(__file__)

CONTRACT_SHAPES = {"image": (2, 3, 4, 5), "text": (3, 5, 6), "timeseries": (2, 5, 4)}


def _module(candidate: Any, worker: Any, layout: Layout, inputs: CaseInputs):
    """The candidate's module and the trusted one, with the same (random) weight and bias, in x's dtype."""
    size = layout.size_of(inputs.x.shape)
    kwargs = {} if inputs.eps is None else {"eps": inputs.eps}
    mine = build(candidate, layout.class_name, size, **kwargs)
    theirs = layout.builtin(size, inputs.eps)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(inputs.weight.astype(np.float32)))
        theirs.bias.copy_(torch.from_numpy(inputs.bias.astype(np.float32)))
    if inputs.x.dtype == np.float64:
        mine, theirs = mine.double(), theirs.double()
        with torch.no_grad():  # the float64 weights themselves, not their float32 rounding
            theirs.weight.copy_(torch.from_numpy(inputs.weight))
            theirs.bias.copy_(torch.from_numpy(inputs.bias))
    try:
        load_state_dict(worker, mine, {k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    except CheckFailed as exc:
        raise CheckFailed(f"{exc.message} (are weight and bias registered as nn.Parameter, and nothing else?)") from None
    return mine, theirs


def _args(inputs: CaseInputs, *, grad: bool = False, int_mask: bool = False) -> tuple:
    args: tuple = (tensor(inputs.x, grad=grad),)
    if inputs.mask is not None:
        args += (tensor(inputs.mask.astype(np.int64) if int_mask else inputs.mask),)
    return args


def _contract_inputs(layout: Layout, rng: np.random.Generator, dtype: str = "float64", data: str = "normal") -> CaseInputs:
    return make_inputs(layout, Case("contract", CONTRACT_SHAPES[layout.kind], data=data, dtype=dtype), rng)


# ====================================================================== contract
@category("contract")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_parameters_registered_like_builtin(candidate, worker, rng, layout: Layout) -> None:
    """weight and bias are registered nn.Parameters (ones, zeros), and state dicts load both ways with PyTorch's layer"""
    size = 4
    mine = build(candidate, layout.class_name, size)
    names = parameter_names(worker, mine)
    theirs = layout.builtin(size)
    got = state_dict(worker, mine)
    if sorted(names) != ["bias", "weight"]:
        raise CheckFailed(
            f"the trainable parameters are {names} and the state dict holds {sorted(got)}: weight and bias must be "
            "registered as nn.Parameter under those names (a plain tensor attribute is neither trained nor saved)"
        )
    assert_same_keys(got, theirs.state_dict(), f"{layout.class_name}({size}).state_dict()")
    for name, value in theirs.state_dict().items():
        if got[name].shape != tuple(value.shape):
            raise CheckFailed(
                f"{name} has shape {got[name].shape}; it should be ({size},), one per "
                f"{'channel' if layout.kind == 'image' else 'feature'}, like {layout.builtin_name}'s"
            )
        if not np.array_equal(got[name], value.numpy()):
            raise CheckFailed(f"{name} should start as {'ones' if name == 'weight' else 'zeros'}; it starts as {got[name].ravel()[:4]}…")
    # Their (random) weights into the candidate's module, then the candidate's back into theirs: same outputs.
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, size).astype(np.float32)))
        theirs.bias.copy_(torch.from_numpy(rng.standard_normal(size).astype(np.float32)))
    load_state_dict(worker, mine, {k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    back = layout.builtin(size)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(worker, mine).items()})
    shape = {"image": (2, size, 3, 2), "text": (2, 3, size), "timeseries": (2, 3, size)}[layout.kind]
    x = rng.standard_normal(shape).astype(np.float32)
    assert_run_matches(run_module(worker, mine, tensor(x)), reference_run(back, tensor(x)), f"after loading {layout.builtin_name}'s weights", rtol=1e-4)


@category("contract")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_does_not_call_builtin_norms(candidate, worker, rng, layout: Layout) -> None:
    """the forward pass is written from tensor operations, not PyTorch's normalization kernels"""
    inputs = _contract_inputs(layout, rng, "float32")
    mine = build(candidate, layout.class_name, layout.size_of(inputs.x.shape))
    run = run_module(worker, mine, *_args(inputs))
    assert_written_by_hand(worker, run.ops, NORM_KERNELS, f"{layout.class_name}.forward", "PyTorch's normalization kernels")


@category("contract")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_inputs_not_modified(candidate, worker, rng, layout: Layout) -> None:
    """x (and the mask) are left as they were: no in-place operations on the inputs"""
    inputs = _contract_inputs(layout, rng, "float32")
    mine = build(candidate, layout.class_name, layout.size_of(inputs.x.shape))
    run = run_module(worker, mine, *_args(inputs), return_args=True)
    assert_unchanged("forward", ("x", "mask"), (inputs.x, inputs.mask), run.args_after, OUT_OF_PLACE)


@category("contract")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_dtype_and_shape_kept(candidate, worker, rng, layout: Layout) -> None:
    """the output has x's shape and dtype (float32 and float64)"""
    for dtype in ("float32", "float64"):
        inputs = _contract_inputs(layout, rng, dtype)
        mine = build(candidate, layout.class_name, layout.size_of(inputs.x.shape))
        if dtype == "float64":
            mine = mine.double()
        out = run_module(worker, mine, *_args(inputs)).output
        if not isinstance(out, np.ndarray):
            raise CheckFailed(f"forward should return a tensor; it returned {type(out).__name__}")
        if out.shape != inputs.x.shape or out.dtype != inputs.x.dtype:
            raise CheckFailed(f"forward returned shape {out.shape} {out.dtype} for x of shape {inputs.x.shape} {inputs.x.dtype}; keep x's shape and dtype")


@category("contract")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_default_eps(candidate, worker, rng, layout: Layout) -> None:
    """eps defaults to 1e-5, inside the square root"""
    inputs = _contract_inputs(layout, rng, "float64", data="tiny_var")
    size = layout.size_of(inputs.x.shape)
    inputs.weight, inputs.bias = np.ones(size), np.zeros(size)  # the module as constructed
    mine = build(candidate, layout.class_name, size).double()
    got = run_module(worker, mine, *_args(inputs)).output
    want = reference_run(layout.builtin(size).double(), *_args(inputs)).output
    assert_close(got, want, "output on a tiny-variance input with the default eps", rtol=1e-6, diagnoses=Lazy(lambda: forward_diagnoses(layout, inputs, default_eps=True)))


@category("contract")
def test_padding_is_exactly_zero(candidate, worker, rng) -> None:
    """padded positions: output and x.grad exactly 0 · text"""
    inputs = make_inputs(TEXT, Case("padding", (3, 5, 6)), rng)
    mine, _ = _module(candidate, worker, TEXT, inputs)  # a nonzero bias, so that bias at the padding shows
    dy = rng.standard_normal(inputs.x.shape)
    run = run_module(worker, mine, *_args(inputs, grad=True), grad_output=dy)
    padded = ~inputs.mask
    values = [("output", run.output), ("x.grad", run.input_grads[0] if run.input_grads else None)]
    for name, value in values:
        if not isinstance(value, np.ndarray) or value.shape != inputs.x.shape:
            raise CheckFailed(f"{name}: expected a tensor of x's shape {inputs.x.shape}, got {type(value).__name__}")
        bad = np.any(value[padded] != 0, axis=-1)
        if bad.any():
            seq, pos = np.argwhere(padded)[int(np.argmax(bad))]
            real_zero = not np.any(value[inputs.mask])
            hint = (
                " — and it is 0 at every real token: the mask was read the wrong way round? True (or 1) marks a real token"
                if real_zero
                else ""
            )
            if name == "output" and np.allclose(value[seq, pos], _bias_of(worker, mine)):
                hint = " — that is bias: x̂ was zeroed there but the shift was still added; zero the output itself"
            raise CheckFailed(
                f"{name} is not 0 at padded position {fmt_index((seq, pos))} (sequence {seq}, token {pos}, mask False): got "
                f"{np.array2string(value[seq, pos], precision=4, threshold=8)}. Padded tokens are not part of the sequence: "
                f"their output and their gradient are exactly 0, whatever the padding holds{hint}"
            )


def _bias_of(worker: Any, module: Any) -> np.ndarray:
    return state_dict(worker, module).get("bias", np.full(1, np.nan))


@category("contract")
def test_integer_mask_means_the_same(candidate, worker, rng) -> None:
    """a 0/1 integer mask (Hugging Face's attention_mask) gives the bool mask's output and gradients · text"""
    inputs = make_inputs(TEXT, Case("mask", (3, 4, 5)), rng)
    mine = build(candidate, "TextLayerNorm", 5).double()
    dy = rng.standard_normal(inputs.x.shape)
    with_bool = run_module(worker, mine, *_args(inputs, grad=True), grad_output=dy)
    try:
        with_int = run_module(worker, mine, *_args(inputs, grad=True, int_mask=True), grad_output=dy)
    except CandidateRaised as exc:
        if exc.not_implemented:
            raise
        raise CheckFailed(
            f"with a 0/1 integer mask (dtype int64), forward raised: {exc.message}. A 0/1 mask means the same as "
            "True/False: convert it with mask.bool() (or mask.to(torch.bool)) before using it"
        ) from None
    try:
        assert_run_matches(with_int, with_bool, "with mask.long() instead of the bool mask", rtol=1e-12)
    except CheckFailed as exc:
        raise CheckFailed(
            f"{exc.message}. A 0/1 mask means the same as True/False: convert it with mask.bool() (indexing with a "
            "long tensor picks rows by number, and 1 - mask or ~mask differ between bool and integer masks)"
        ) from None


# ====================================================================== hidden: against PyTorch's layers
HIDDEN = {
    "image": (
        Case("N, C, H, W all different", (3, 4, 5, 6)),
        Case("W = C", (2, 4, 3, 4)),
        Case("one channel", (4, 1, 3, 3)),
        Case("1×1 images", (5, 8, 1, 1)),
        Case("tiny variance", (3, 3, 4, 2), data="tiny_var"),
        Case("constant images", (2, 3, 2, 2), data="constant"),
        Case("large mean", (3, 2, 3, 4), data="offset"),
        Case("non-default eps", (2, 3, 2, 4), data="tiny_var", eps=1e-3),
        Case("float32", (4, 8, 4, 4), dtype="float32"),
        Case("float32, large mean", (2, 4, 4, 4), data="offset32", dtype="float32"),
    ),
    "text": (
        Case("ragged sequences", (4, 6, 8)),
        Case("no padding", (2, 5, 7), padding="none"),
        Case("no mask given", (2, 5, 7), padding="nomask"),
        Case("a fully padded sequence", (3, 4, 6), padding="empty"),
        Case("zeros in the padding", (3, 5, 4), padding="zeros"),
        Case("tiny variance", (3, 6, 16), data="tiny_var"),
        Case("constant tokens", (2, 4, 5), data="constant"),
        Case("large mean", (3, 5, 12), data="offset"),
        Case("non-default eps", (2, 6, 10), data="tiny_var", eps=1e-3),
        Case("float32", (4, 8, 32), dtype="float32"),
        Case("long sequences", (2, 64, 16)),
    ),
    "timeseries": (
        Case("N, T, F all different", (3, 7, 5)),
        Case("one time step", (4, 1, 6)),
        Case("one feature", (2, 5, 1)),
        Case("tiny variance", (2, 6, 12), data="tiny_var"),
        Case("large mean", (3, 4, 9), data="offset"),
        Case("non-default eps", (2, 5, 8), data="tiny_var", eps=1e-3),
        Case("float32", (4, 16, 24), dtype="float32"),
        Case("float32, large mean", (2, 6, 32), data="offset32", dtype="float32"),
    ),
}
HIDDEN_PARAMS = [(layout, case) for layout in LAYOUTS for case in HIDDEN[layout.kind]]


@category("hidden")
@pytest.mark.parametrize("layout, case", HIDDEN_PARAMS, ids=[f"{layout}: {case}" for layout, case in HIDDEN_PARAMS])
def test_matches_pytorch_layer(candidate, worker, rng, layout: Layout, case: Case) -> None:
    """forward and gradients (x, weight, bias) match PyTorch's layer"""
    inputs = make_inputs(layout, case, rng)
    mine, theirs = _module(candidate, worker, layout, inputs)
    dy = rng.standard_normal(inputs.x.shape).astype(case.dtype)
    got = run_module(worker, mine, *_args(inputs, grad=True), grad_output=dy)
    want = reference_run(theirs, *_args(inputs, grad=True), grad_output=dy)
    assert_layer_run(got, want, layout, inputs, dy, rtol=case.rtol, what=f"against {layout.builtin_name}")


@category("hidden")
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_samples_are_independent(candidate, worker, rng, layout: Layout) -> None:
    """a sample's output does not depend on the other samples in the batch"""
    shape = {"image": (6, 3, 2, 2), "text": (6, 4, 5), "timeseries": (6, 4, 5)}[layout.kind]
    inputs = make_inputs(layout, Case("batch", shape), rng)
    mine = build(candidate, layout.class_name, layout.size_of(shape)).double()
    whole = run_module(worker, mine, *_args(inputs)).output
    alone = CaseInputs(inputs.x[:1], None if inputs.mask is None else inputs.mask[:1], inputs.weight, inputs.bias, None)
    first = run_module(worker, mine, *_args(alone)).output
    if not (isinstance(whole, np.ndarray) and isinstance(first, np.ndarray) and whole.shape[1:] == first.shape[1:]):
        raise CheckFailed(f"forward should return a tensor of x's shape; it returned {type(whole).__name__}")
    if not np.allclose(whole[:1], first, rtol=1e-9, atol=1e-9):
        raise CheckFailed(
            f"sample 0 normalizes differently alone than in a batch of {shape[0]} (max difference "
            f"{float(np.max(np.abs(whole[:1] - first))):.3g}): statistics were taken across the batch (dim 0, as BatchNorm would)"
        )


@category("hidden")
def test_padding_content_changes_nothing(candidate, worker, rng, report) -> None:
    """what the padded slots hold changes no output and no gradient · text"""
    inputs = make_inputs(TEXT, Case("padding", (4, 6, 5)), rng)
    other = np.where(inputs.mask[..., None], inputs.x, 1e3 * rng.standard_normal(inputs.x.shape))
    mine = build(candidate, "TextLayerNorm", 5).double()
    dy = rng.standard_normal(inputs.x.shape)
    first = run_module(worker, mine, *_args(inputs, grad=True), grad_output=dy)
    second = run_module(worker, mine, tensor(other, grad=True), tensor(inputs.mask), grad_output=dy)
    try:
        assert_run_matches(second, first, "with other values in the padded slots", rtol=1e-9)
    except CheckFailed as exc:
        raise CheckFailed(
            f"{exc.message}. Padded slots hold garbage: it must not reach the real tokens' statistics, the output "
            "or any gradient (per-sequence statistics, or statistics over the padding?)"
        ) from None
    report.note(f"padding replaced by values of scale 1e3: output and gradients identical over {int(inputs.mask.sum())} real tokens")


@category("hidden")
def test_time_series_is_causal(candidate, worker, rng, report) -> None:
    """no step's output depends on a later step · time series"""
    inputs = make_inputs(SERIES, Case("causal", (3, 8, 5)), rng)
    cut = 3
    future = inputs.x.copy()
    future[:, cut:] = rng.uniform(-10, 10, future[:, cut:].shape)
    mine = build(candidate, "TimeSeriesLayerNorm", 5).double()
    before = run_module(worker, mine, tensor(inputs.x)).output
    after = run_module(worker, mine, tensor(future)).output
    if not (isinstance(before, np.ndarray) and isinstance(after, np.ndarray)):
        raise CheckFailed(f"forward should return a tensor; it returned {type(before).__name__}")
    moved = float(np.max(np.abs(before[:, :cut] - after[:, :cut])))
    if not moved <= 1e-9:  # NaN fails too
        raise CheckFailed(
            f"changing steps {cut}… changed the outputs of steps 0…{cut - 1} (by up to {moved:.3g}): the statistics look "
            "across time. Normalize each time step over its own F features, so the layer never sees the future"
        )
    report.note(f"steps {cut}…7 replaced: steps 0…{cut - 1} unchanged")


# ====================================================================== gradcheck
GRADCHECK = (
    (IMAGE, Case("image", (2, 3, 2, 2))),
    (TEXT, Case("text, ragged", (2, 4, 3))),
    (TEXT, Case("text, a fully padded sequence", (3, 3, 3), padding="empty")),
    (SERIES, Case("time series", (2, 3, 4))),
)


@category("gradcheck")
@pytest.mark.parametrize("layout, case", GRADCHECK, ids=[case.name for _, case in GRADCHECK])
def test_gradcheck(candidate, worker, rng, report, layout: Layout, case: Case) -> None:
    """torch.autograd.gradcheck in float64: x, weight and bias"""
    inputs = make_inputs(layout, case, rng)
    mine = build(candidate, layout.class_name, layout.size_of(case.shape))
    load_state_dict(worker, mine, {"weight": inputs.weight.astype(np.float32), "bias": inputs.bias.astype(np.float32)})
    args = (tensor(inputs.x, grad=True, dtype="float64"),)
    if inputs.mask is not None:
        args += (tensor(inputs.mask),)
    report.note(assert_jacobians(worker, mine, *args))
