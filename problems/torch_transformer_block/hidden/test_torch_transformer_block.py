"""Hidden checks for torch_transformer_block: the candidate's block against nn.TransformerEncoderLayer itself.

The candidate's TransformerEncoderBlock lives in the worker; nn.TransformerEncoderLayer(batch_first=True)
runs here on the same inputs with the same weights (the spec makes the two state dicts identical, so the
weights go across as one), and every comparison is made here. Driver scripts (run_script) only run the
candidate's module in the worker and bring back numbers and names: module types, dropout rates, which
methods of PyTorch's encoder classes a forward pass called.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

from grader.kit import CheckFailed, category, describe, spec_examples
from grader.kit.compare import Lazy, assert_close, sentence
from grader.kit.layers import assert_unchanged
from grader.kit.torch_kit import (
    BUILT_IN_LAYERS,
    RESIDUAL_OUT_OF_PLACE,
    assert_jacobians,
    assert_run_matches,
    assert_same_keys,
    assert_written_by_hand,
    build,
    load_state_dict,
    parameter_names,
    reference_run,
    run_module,
    run_script,
    state_dict,
    tensor,
)
from grader.kit.encoder_layer import (
    FUSED_OPS,
    BlockCase,
    BlockInputs,
    assert_output_close,
    make_inputs,
    reference_layer,
)

CLASS = "TransformerEncoderBlock"
test_examples = spec_examples(__file__)

# PyTorch's layer runs here, in the grader: one thread, like the worker (the runner sets OMP_NUM_THREADS=1
# for the worker only). Tiny blocks gain nothing from two threads, and lose a lot on a busy machine.
torch.set_num_threads(1)

DROPOUT_IN_EVAL = (
    "dropout is active in eval mode (F.dropout(x, p) drops whatever the mode, its training= defaults to True: "
    "use nn.Dropout modules, or pass training=self.training)"
)


def _block(candidate: Any, worker: Any, inputs: BlockInputs, *, dropout: float = 0.1, pass_norm_first: bool = True) -> Any:
    """The candidate's block with the inputs' weights loaded strictly, in x's dtype and in eval mode."""
    kwargs: dict[str, Any] = {"dim_feedforward": inputs.f, "dropout": dropout}
    if pass_norm_first:
        kwargs["norm_first"] = inputs.norm_first
    mine = build(candidate, CLASS, inputs.d, inputs.nhead, **kwargs)
    if inputs.x.dtype == np.float64:
        mine = mine.double()
    load_state_dict(worker, mine, inputs.state)
    mine.eval()
    return mine


def _expect_tensor_output(out: Any, inputs: BlockInputs, what: str = "forward") -> None:
    if isinstance(out, (tuple, list)):
        raise CheckFailed(
            f"{what} returned {describe(out)}; return the output tensor alone "
            "(nn.MultiheadAttention returns (output, weights): take [0])"
        )
    if not isinstance(out, np.ndarray):
        raise CheckFailed(f"{what} should return a tensor; it returned {describe(out)}")
    if out.shape != inputs.x.shape or out.dtype != inputs.x.dtype:
        raise CheckFailed(f"{what} returned shape {out.shape} {out.dtype}; expected {inputs.x.shape} {inputs.x.dtype}, like src")


def _random_in_eval(candidate: Any, worker: Any, inputs: BlockInputs, spread: float, **kwargs: Any) -> str:
    """Why two eval-mode calls differed, as far as the evidence goes: dropout only if the same block built with
    dropout=0.0 gives one answer (the randomness follows the dropout argument); otherwise what was measured."""
    control = _block(candidate, worker, inputs, dropout=0.0)
    first, second = (run_module(worker, control, tensor(inputs.x), **kwargs).output for _ in range(2))
    if isinstance(first, np.ndarray) and isinstance(second, np.ndarray) and np.array_equal(first, second, equal_nan=True):
        return f"two eval-mode calls on the same input differ by up to {spread:.3g}, and agree when the block is built with dropout=0.0. Looks like {DROPOUT_IN_EVAL}"
    return (
        f"two eval-mode calls on the same input differ by up to {spread:.3g}, also with dropout=0.0: the forward pass "
        "draws random numbers or keeps state from call to call, and in eval mode it must do neither"
    )


def _compare_output(candidate: Any, worker: Any, mine: Any, got: Any, want: np.ndarray, inputs: BlockInputs, rtol: float, what: str) -> None:
    """The candidate's eval-mode output against PyTorch's; a second call tells randomness left on in eval."""
    _expect_tensor_output(got, inputs)
    try:
        assert_output_close(got, want, inputs, rtol, what)
    except CheckFailed as failure:
        again = run_module(worker, mine, tensor(inputs.x), **inputs.mask_kwargs(tensor)).output
        if isinstance(again, np.ndarray) and again.shape == got.shape and not np.array_equal(again, got, equal_nan=True):
            spread = float(np.nanmax(np.abs(again - got)))
            why = _random_in_eval(candidate, worker, inputs, spread, **inputs.mask_kwargs(tensor))
            raise CheckFailed(f"{failure.message.split('. Looks like')[0]}; {why}") from None
        raise


def _eval_output(candidate: Any, worker: Any, mine: Any, x: np.ndarray, inputs: BlockInputs, **kwargs: Any) -> np.ndarray:
    """The eval-mode output for x, run twice: a difference is randomness left on, and says so before anything else."""
    first, second = (run_module(worker, mine, tensor(x), **kwargs).output for _ in range(2))
    _expect_tensor_output(first, inputs, "forward in eval mode")
    if not np.array_equal(first, second, equal_nan=True):
        raise CheckFailed(_random_in_eval(candidate, worker, inputs, float(np.nanmax(np.abs(first - second))), **kwargs))
    return first


# ====================================================================== contract
CONFIGS = (
    ("defaults: (8, 2)", (8, 2), {}),
    ("(6, 3, dim_feedforward=12, dropout=0.0, norm_first=True)", (6, 3), {"dim_feedforward": 12, "dropout": 0.0, "norm_first": True}),
)


@category("contract")
@pytest.mark.parametrize("label, args, kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_state_dict_is_torch_layers(candidate: Any, worker: Any, label: str, args: tuple, kwargs: dict) -> None:
    """an nn.Module whose state_dict has nn.TransformerEncoderLayer's keys and shapes, every entry a parameter"""
    mine = build(candidate, CLASS, *args, **kwargs)
    names = parameter_names(worker, mine)
    torch_kwargs = {k: v for k, v in kwargs.items() if k != "norm_first"}
    theirs = torch.nn.TransformerEncoderLayer(*args, batch_first=True, norm_first=kwargs.get("norm_first", False), **torch_kwargs)
    want = theirs.state_dict()
    got = state_dict(worker, mine)
    try:
        assert_same_keys(got, want, f"{CLASS}{args}.state_dict()")
    except CheckFailed as failure:
        hint = ""
        prefixes = {k[: len(k) - len(w)] for k in got for w in want if k.endswith("." + w)}
        if len(prefixes) == 1 and len(got) == len(want):
            raise CheckFailed(
                f"{CLASS}{args}.state_dict(): every key carries the prefix {prefixes.pop()!r} (e.g. {sorted(got)[0]!r}): the parts "
                "must sit on the block itself, named as nn.TransformerEncoderLayer names them (self_attn, linear1, norm1 ...), "
                "not inside a wrapped module"
            ) from None
        if any(k.startswith(("layer.", "encoder", "block.")) for k in got):
            hint = " (the parts must sit on the block itself, named as nn.TransformerEncoderLayer names them, not inside a wrapped layer)"
        elif any(k.startswith("self_attn.") for k in want) and any(k.startswith(("self_attn.q", "self_attn.k", "self_attn.v", "attn.")) for k in got):
            hint = " (self_attn needs nn.MultiheadAttention's parameters: one packed in_proj_weight (3·d_model, d_model), in_proj_bias and out_proj)"
        raise CheckFailed(failure.message + hint) from None
    for name, value in want.items():
        if got[name].shape != tuple(value.shape):
            raise CheckFailed(f"{name} has shape {got[name].shape}; nn.TransformerEncoderLayer's has {tuple(value.shape)}")
    not_trained = sorted(set(want) - set(names))
    if not_trained:
        raise CheckFailed(f"{not_trained} are in the state dict but not trainable parameters: register them as nn.Parameter (or use nn.Linear / nn.LayerNorm)")


@category("contract")
def test_state_dicts_load_strictly_both_ways(candidate: Any, worker: Any, rng: np.random.Generator) -> None:
    """strict load_state_dict both ways with nn.TransformerEncoderLayer, and then the two agree"""
    inputs = make_inputs(rng, BlockCase(2, 5, 8, 2, 16, norm_first=False, padding=True, dtype="float32"))
    mine = build(candidate, CLASS, 8, 2, dim_feedforward=16)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    try:
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(worker, mine).items()})
    except RuntimeError as exc:
        raise CheckFailed(f"nn.TransformerEncoderLayer.load_state_dict(your block's state_dict()) failed: {str(exc)[:400]}") from None
    load_state_dict(worker, mine, inputs.state)
    mine.eval()
    kwargs = inputs.mask_kwargs(tensor)
    got = run_module(worker, mine, tensor(inputs.x), **kwargs).output
    want = reference_run(reference_layer(inputs), tensor(inputs.x), **kwargs).output
    _compare_output(candidate, worker, mine, got, want, inputs, 1e-4, "output after loading nn.TransformerEncoderLayer's weights")


INSPECT = """
modules = dict(block.named_modules())
types = {name: type(m).__name__ for name, m in modules.items()}
builtin = [name or "the block itself" for name, m in modules.items()
           if isinstance(m, (nn.TransformerEncoderLayer, nn.TransformerEncoder, nn.Transformer))]
dropouts = {name: float(m.p) for name, m in modules.items() if isinstance(m, nn.Dropout) and name}
attn = getattr(block, "self_attn", None)
is_mha = isinstance(attn, nn.MultiheadAttention)
attn_dropout = float(attn.dropout) if is_mha else None
batch_first = bool(attn.batch_first) if is_mha else None
value = getattr(block, "norm_first", "<missing>")
norm_first = value if isinstance(value, bool) else repr(value)[:60]
"""
INSPECTED = ["types", "builtin", "dropouts", "is_mha", "attn_dropout", "batch_first", "norm_first"]


def _inspect(worker: Any, mine: Any) -> dict[str, Any]:
    return run_script(worker, INSPECT, outputs=INSPECTED, block=mine, label="inspecting the block's submodules")


@category("contract")
def test_norm_first_stored_and_defaults(candidate: Any, worker: Any) -> None:
    """norm_first is stored as given; defaults dim_feedforward=2048, dropout=0.1, norm_first=False"""
    for kwargs, want in (({"norm_first": True}, True), ({"norm_first": False}, False), ({}, False)):
        found = _inspect(worker, build(candidate, CLASS, 8, 2, **kwargs))["norm_first"]
        if found is not want:
            given = f"norm_first={kwargs['norm_first']}" if kwargs else "no norm_first (default False)"
            raise CheckFailed(f"{CLASS}(8, 2, {given}).norm_first is {found!r}; store the argument as self.norm_first (a bool), as nn.TransformerEncoderLayer does")
    mine = build(candidate, CLASS, 8, 2)
    weights = state_dict(worker, mine)
    if "linear1.weight" not in weights:
        raise CheckFailed(f"{CLASS}(8, 2) has no linear1.weight (its state dict: {sorted(weights)[:4]}...): name the parts as nn.TransformerEncoderLayer does")
    shape = weights["linear1.weight"].shape
    if shape != (2048, 8):
        raise CheckFailed(f"{CLASS}(8, 2).linear1.weight has shape {shape}; dim_feedforward defaults to 2048, so (2048, 8)")
    dropouts = _inspect(worker, mine)["dropouts"]
    wrong = {name: p for name, p in dropouts.items() if name in ("dropout", "dropout1", "dropout2") and p != 0.1}
    if wrong:
        raise CheckFailed(f"with the default dropout, {wrong}: dropout defaults to 0.1")


@category("contract")
def test_submodules_named_like_torch(candidate: Any, worker: Any) -> None:
    """self_attn (batch_first), dropout, dropout1, dropout2 as in nn.TransformerEncoderLayer, each with p=dropout"""
    found = _inspect(worker, build(candidate, CLASS, 8, 2, dim_feedforward=16, dropout=0.25))
    if found["is_mha"] and not found["batch_first"]:
        raise CheckFailed("self_attn is nn.MultiheadAttention without batch_first=True: it reads src as (seq, batch, d_model) and attends across the batch")
    if found["is_mha"] and found["attn_dropout"] != 0.25:
        raise CheckFailed(f"self_attn's dropout (on the attention weights) is {found['attn_dropout']}; pass dropout=dropout to nn.MultiheadAttention, as nn.TransformerEncoderLayer does")
    missing = [name for name in ("dropout", "dropout1", "dropout2") if name not in found["dropouts"]]
    if missing:
        have = ", ".join(f"{k} ({found['types'][k]})" for k in found["dropouts"]) or "none"
        raise CheckFailed(
            f"no nn.Dropout named {', '.join(missing)} on the block (nn.Dropout submodules found: {have}); the spec names them as "
            "nn.TransformerEncoderLayer does: dropout (in the feed-forward), dropout1 (after self-attention), dropout2 (after the feed-forward)"
        )
    wrong = {name: found["dropouts"][name] for name in ("dropout", "dropout1", "dropout2") if found["dropouts"][name] != 0.25}
    if wrong:
        raise CheckFailed(f"with dropout=0.25, {wrong}: every dropout uses the constructor's rate")


TRACE = """
targets = [(nn.TransformerEncoderLayer, "forward"), (nn.TransformerEncoderLayer, "_sa_block"),
           (nn.TransformerEncoderLayer, "_ff_block"), (nn.TransformerEncoder, "forward"), (nn.Transformer, "forward")]
calls, saved = [], {}

def traced(cls, name, fn):
    def call(*args, **kwargs):
        calls.append(f"nn.{cls.__name__}.{name}")
        return fn(*args, **kwargs)
    return call

for cls, name in targets:
    saved[(cls, name)] = cls.__dict__[name]
    setattr(cls, name, traced(cls, name, saved[(cls, name)]))
try:
    block(src, src_key_padding_mask=padding)
finally:
    for (cls, name), fn in saved.items():
        setattr(cls, name, fn)
calls = sorted(set(calls))
"""


@category("contract")
def test_built_from_parts(candidate: Any, worker: Any, rng: np.random.Generator) -> None:
    """no nn.TransformerEncoderLayer / nn.TransformerEncoder inside, and the forward does not call them"""
    inputs = make_inputs(rng, BlockCase(2, 4, 8, 2, 16, norm_first=True, padding=True, dtype="float32"))
    mine = _block(candidate, worker, inputs)
    builtin = _inspect(worker, mine)["builtin"]
    if builtin:
        raise CheckFailed(
            f"{', '.join(builtin)} is PyTorch's own encoder layer: the exercise is to build the block from its parts "
            "(nn.MultiheadAttention, nn.Linear, nn.LayerNorm, nn.Dropout), not to wrap or subclass nn.TransformerEncoderLayer"
        )
    calls = run_script(worker, TRACE, outputs=["calls"], block=mine, src=tensor(inputs.x), padding=tensor(inputs.padding), label="tracing the forward pass")["calls"]
    if calls:
        raise CheckFailed(f"the forward pass called {', '.join(calls)}: write the block's forward yourself")
    run = run_module(worker, mine, tensor(inputs.x), src_key_padding_mask=tensor(inputs.padding))
    assert_written_by_hand(worker, run.ops, FUSED_OPS, "forward", "nn.TransformerEncoderLayer", BUILT_IN_LAYERS)


@category("contract")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_output_tensor_shaped_like_src(candidate: Any, worker: Any, rng: np.random.Generator, dtype: str) -> None:
    """forward returns one tensor of src's shape and dtype"""
    inputs = make_inputs(rng, BlockCase(3, 4, 8, 2, 16, norm_first=False, padding=True, dtype=dtype))
    mine = _block(candidate, worker, inputs)
    _expect_tensor_output(run_module(worker, mine, tensor(inputs.x), **inputs.mask_kwargs(tensor)).output, inputs)


@category("contract")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_src_not_modified(candidate: Any, worker: Any, rng: np.random.Generator, norm_first: bool) -> None:
    """src is left as it was (no in-place residual adds)"""
    inputs = make_inputs(rng, BlockCase(2, 4, 8, 2, 16, norm_first=norm_first, padding=True, dtype="float32"))
    mine = _block(candidate, worker, inputs)
    run = run_module(worker, mine, tensor(inputs.x), return_args=True, **inputs.mask_kwargs(tensor))
    assert_unchanged("forward", ("src",), (inputs.x,), run.args_after, RESIDUAL_OUT_OF_PLACE)


# ====================================================================== hidden: against nn.TransformerEncoderLayer
HIDDEN = (
    BlockCase(2, 5, 8, 2, 16, norm_first=False),
    BlockCase(2, 5, 8, 2, 16, norm_first=True),
    BlockCase(3, 6, 8, 2, 16, norm_first=False, padding=True),
    BlockCase(3, 6, 8, 2, 16, norm_first=True, padding=True),
    BlockCase(2, 6, 12, 3, 20, norm_first=False, src_mask="causal"),
    BlockCase(2, 6, 12, 3, 20, norm_first=True, src_mask="causal"),
    BlockCase(3, 5, 8, 4, 12, norm_first=False, padding=True, src_mask="causal_bool"),
    BlockCase(3, 5, 8, 4, 12, norm_first=True, padding=True, src_mask="causal_bool"),
    BlockCase(2, 6, 8, 2, 16, norm_first=False, src_mask="window"),
    BlockCase(2, 6, 8, 2, 16, norm_first=True, src_mask="bias"),
    BlockCase(3, 4, 6, 1, 10, norm_first=True, padding=True, note="one head"),
    BlockCase(2, 5, 4, 4, 8, norm_first=False, note="d_head = 1"),
    BlockCase(4, 1, 6, 2, 12, norm_first=True, note="a single token"),
    BlockCase(2, 5, 8, 2, 16, padding=True, note="norm_first not passed"),
    BlockCase(2, 6, 16, 4, 32, norm_first=False, padding=True, dtype="float32"),
    BlockCase(2, 6, 16, 4, 32, norm_first=True, src_mask="causal", dtype="float32"),
    BlockCase(3, 12, 32, 4, 64, norm_first=True, padding=True, note="bigger"),
)


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN, ids=[c.label for c in HIDDEN])
def test_matches_torch_layer(candidate: Any, worker: Any, rng: np.random.Generator, case: BlockCase) -> None:
    """eval mode: output and gradients (src and every parameter) match nn.TransformerEncoderLayer's"""
    inputs = make_inputs(rng, case)
    mine = _block(candidate, worker, inputs, pass_norm_first=case.norm_first is not None)
    dy = rng.standard_normal(inputs.x.shape).astype(case.dtype)
    kwargs = inputs.mask_kwargs(tensor)
    got = run_module(worker, mine, tensor(inputs.x, grad=True), grad_output=dy, **kwargs)
    want = reference_run(reference_layer(inputs), tensor(inputs.x, grad=True), grad_output=dy, **kwargs)
    _compare_output(candidate, worker, mine, got.output, want.output, inputs, case.rtol, "output")
    assert_run_matches(got, want, "eval mode", rtol=case.rtol * (10 if case.dtype == "float32" else 1))


@category("hidden")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_padded_tokens_do_not_matter(candidate: Any, worker: Any, rng: np.random.Generator, norm_first: bool) -> None:
    """changing the padded tokens leaves the real tokens' outputs unchanged"""
    inputs = make_inputs(rng, BlockCase(3, 6, 8, 2, 16, norm_first=norm_first, padding=True))
    mine = _block(candidate, worker, inputs)
    first = _eval_output(candidate, worker, mine, inputs.x, inputs, src_key_padding_mask=tensor(inputs.padding))
    changed = inputs.x.copy()
    changed[inputs.padding] += rng.normal(0.0, 5.0, changed[inputs.padding].shape)
    second = run_module(worker, mine, tensor(changed), src_key_padding_mask=tensor(inputs.padding)).output
    _expect_tensor_output(second, inputs)
    real = ~inputs.padding
    drift = float(np.abs(second[real] - first[real]).max())
    if not np.isfinite(drift) or drift > 1e-9 * max(1.0, float(np.abs(first[real]).max())):
        raise CheckFailed(
            f"the real tokens' outputs changed by up to {drift:.3g} when only padded tokens changed: a padded key must get "
            "no attention at all (True in src_key_padding_mask = padding, passed to self_attn as key_padding_mask)"
        )


# ====================================================================== hidden: dropout, train and eval
@category("hidden")
def test_dropout_on_in_train_off_in_eval(candidate: Any, worker: Any, rng: np.random.Generator) -> None:
    """dropout=0.3: two train-mode calls differ, two eval-mode calls agree (and match PyTorch's)"""
    inputs = make_inputs(rng, BlockCase(2, 6, 8, 2, 32, norm_first=True, padding=True, dtype="float32"))
    mine = _block(candidate, worker, inputs, dropout=0.3)
    kwargs = inputs.mask_kwargs(tensor)
    first = _eval_output(candidate, worker, mine, inputs.x, inputs, **kwargs)
    want = reference_run(reference_layer(inputs, dropout=0.3), tensor(inputs.x), **kwargs).output
    _compare_output(candidate, worker, mine, first, want, inputs, 1e-4, "output in eval mode, dropout=0.3")
    mine.train()
    one, two = (run_module(worker, mine, tensor(inputs.x), **kwargs).output for _ in range(2))
    _expect_tensor_output(one, inputs, "forward in train mode")
    repeated, as_eval = np.array_equal(one, two), np.allclose(one, first, rtol=1e-5, atol=1e-6)
    if repeated or as_eval:
        measured = {
            (True, True): "the same on every call and the same as in eval mode: no dropout is applied",
            (True, False): "the same on every call, though not the eval-mode output: the dropout masks repeat from call to call",
            (False, True): "the eval-mode output within 1e-5 on each call (two calls differ by up to "
            f"{float(np.nanmax(np.abs(one - two))):.3g}): no unit is dropped",
        }[(repeated, as_eval)]
        raise CheckFailed(
            f"in train mode with dropout=0.3 the output is {measured}; nn.TransformerEncoderLayer drops attention weights, "
            "the feed-forward's hidden units, and each sublayer's output, with new masks on every call"
        )


@category("hidden")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_dropout_zero_train_equals_eval(candidate: Any, worker: Any, rng: np.random.Generator, norm_first: bool) -> None:
    """dropout=0.0: train mode gives exactly the eval-mode output"""
    inputs = make_inputs(rng, BlockCase(2, 5, 8, 2, 16, norm_first=norm_first, padding=True))
    mine = _block(candidate, worker, inputs, dropout=0.0)
    kwargs = inputs.mask_kwargs(tensor)
    evaluated = run_module(worker, mine, tensor(inputs.x), **kwargs).output
    _expect_tensor_output(evaluated, inputs)
    mine.train()
    trained = run_module(worker, mine, tensor(inputs.x), **kwargs).output
    assert_close(trained, evaluated, "train-mode output with dropout=0.0 (against eval mode)", rtol=1e-12, dtype=inputs.x.dtype)


# With dropout=1.0 PyTorch's layer is deterministic in train mode: every dropped sublayer adds exactly 0 (all
# sites), or, with dropout1/dropout2 set back to p=0, attention adds out_proj.bias and the feed-forward
# linear2.bias. Each dropout's place in the block is visible that way.
SITE_SURGERY = """
missing = [name for name in ("dropout1", "dropout2") if not isinstance(getattr(block, name, None), nn.Dropout)]
if not missing:
    block.dropout1.p = 0.0
    block.dropout2.p = 0.0
block.train()
out = None if missing else block(src, src_key_padding_mask=padding)
"""
SITES = {
    "all": "every dropout at p=1 (attention weights, feed-forward hidden units, dropout1, dropout2)",
    "inner": "attention-weight and feed-forward dropout at p=1, dropout1 and dropout2 at p=0",
}


@category("hidden")
@pytest.mark.parametrize("sites", list(SITES), ids=list(SITES.values()))
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_dropout_placement(candidate: Any, worker: Any, rng: np.random.Generator, norm_first: bool, sites: str) -> None:
    """train mode, dropout=1.0: every dropout sits where nn.TransformerEncoderLayer has it"""
    inputs = make_inputs(rng, BlockCase(2, 5, 8, 2, 16, norm_first=norm_first, padding=True))
    mine = _block(candidate, worker, inputs, dropout=1.0)
    theirs = reference_layer(inputs, dropout=1.0)
    kwargs = {"src_key_padding_mask": tensor(inputs.padding)}
    evaluated = _eval_output(candidate, worker, mine, inputs.x, inputs, **kwargs)
    try:  # the dropouts' places can only be judged on a block that is right in eval mode
        _compare_output(candidate, worker, mine, evaluated, reference_run(theirs, tensor(inputs.x), **kwargs).output, inputs, 1e-8, "eval-mode output")
    except CheckFailed as failure:
        if np.allclose(evaluated, reference_run(theirs.train(), tensor(inputs.x), **kwargs).output, rtol=1e-8, atol=1e-8):
            raise CheckFailed(f"in eval mode the output is PyTorch's train-mode output with dropout=1.0. Looks like {DROPOUT_IN_EVAL}") from None
        raise CheckFailed(f"{failure.message} (in eval mode already, so the dropouts' places cannot be checked yet)") from None
    theirs.train()
    if sites == "all":
        mine.train()
        got = run_module(worker, mine, tensor(inputs.x), **kwargs).output
    else:
        got = run_script(worker, SITE_SURGERY, outputs=["missing", "out"], block=mine, src=tensor(inputs.x), padding=tensor(inputs.padding),
                         label="setting dropout1.p and dropout2.p to 0")  # fmt: skip
        if got["missing"]:
            raise CheckFailed(f"the block has no nn.Dropout named {', '.join(got['missing'])} (the spec names them as nn.TransformerEncoderLayer does)")
        got = got["out"]
        theirs.dropout1.p = theirs.dropout2.p = 0.0
    want = reference_run(theirs, tensor(inputs.x), **kwargs).output
    _expect_tensor_output(got, inputs, "forward in train mode")
    explained = {
        "all": "with every dropout at p=1 each sublayer must add exactly 0: dropout1 on self-attention's output and dropout2 on "
        "the feed-forward's output, before each residual add (not on the sum, and not on the sublayer's input)",
        "inner": "with dropout1/dropout2 at p=0, attention dropout p=1 leaves self-attention = out_proj.bias and feed-forward "
        "dropout p=1 leaves FF = linear2.bias",
    }[sites]
    try:
        assert_close(got, want, f"train-mode output, {SITES[sites]}", rtol=1e-8, dtype=inputs.x.dtype,
                     diagnoses=Lazy(lambda: _missing_dropouts(theirs, tensor(inputs.x), kwargs)))  # fmt: skip
    except CheckFailed as failure:
        raise CheckFailed(f"{sentence(failure.message)} ({explained})") from None


def _missing_dropouts(theirs: Any, x: Any, kwargs: dict) -> dict[str, Any]:
    """PyTorch's layer in its current train-mode setting with one dropout site, or two, switched off."""
    sites = {
        "the attention-weight dropout is missing (nn.MultiheadAttention(..., dropout=dropout) drops attention weights)": ("self_attn",),
        "the feed-forward's dropout after the ReLU is missing": ("dropout",),
        "dropout1, on self-attention's output before the residual add, is missing": ("dropout1",),
        "dropout2, on the feed-forward's output before the residual add, is missing": ("dropout2",),
    }
    models = {}
    for label, names in sites.items():
        variant = copy.deepcopy(theirs)
        for name in names:
            if name == "self_attn":
                variant.self_attn.dropout = 0.0
            else:
                getattr(variant, name).p = 0.0
        models[label] = reference_run(variant, x, **kwargs).output
    return {label: (lambda value=value: value) for label, value in models.items()}


# ====================================================================== gradcheck
# d output / d src only: the parameters' gradients are compared with PyTorch's own in every hidden row, and
# central differences over all ~180 parameters of even a tiny block would take seconds.
GRADCHECK = (
    ("post-LN, padding mask, eval mode", BlockCase(2, 3, 4, 2, 6, norm_first=False, padding=True), 0.1, "eval"),
    ("pre-LN, causal float mask, train mode with dropout=0.0", BlockCase(2, 4, 4, 2, 6, norm_first=True, src_mask="causal"), 0.0, "train"),
)


@category("gradcheck")
@pytest.mark.parametrize("label, case, dropout, mode", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(candidate: Any, worker: Any, rng: np.random.Generator, report: Any, label: str, case: BlockCase, dropout: float, mode: str) -> None:
    """torch.autograd.gradcheck in float64: d output / d src"""
    inputs = make_inputs(rng, case)
    mine = _block(candidate, worker, inputs, dropout=dropout)
    if mode == "train":
        mine.train()
    report.note(assert_jacobians(worker, mine, tensor(inputs.x, grad=True), params=False, **inputs.mask_kwargs(tensor)))
