"""Hidden checks for torch_prenorm_stability: two encoder stacks against nn.TransformerEncoder, and the experiment.

The candidate's stacks live in the worker; PyTorch's own stack runs here with the same weights (loaded
through the state dict, whose layout the spec fixes). compare_stability is judged on the patterns of its
own numbers, and against the spec's recipe run by the grader's driver on the candidate's classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, category, spec_examples
from grader.kit.sparkline import describe_series
from grader.kit.torch_kit import (
    BUILT_IN_LAYERS,
    RESIDUAL_OUT_OF_PLACE,
    assert_input_kept,
    assert_jacobians,
    assert_run_matches,
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
from torch_prenorm_stability_checks import (
    CLASSES,
    FUSED_OPS,
    PARTS_DRIVER,
    Setting,
    StabilityRuns,
    expected_shapes,
    parse_result,
    random_state,
    reference_stack,
    stack_diagnoses,
)

test_examples = spec_examples(__file__)

VARIANTS = ["pre", "post"]
LABEL = {"pre": "pre-LN", "post": "post-LN"}


def _seed(seed: int) -> int:
    return seed % 100_000


def gentle(seed: int) -> Setting:
    return Setting(num_layers=4, steps=6, lr=1e-2, seed=_seed(seed))


def steep(seed: int) -> Setting:
    return Setting(num_layers=5, steps=12, lr=3e-2, seed=_seed(seed))


SMALL = Setting(2, 3, 1e-3, 5)  # the seeded-contract row's call (and the structure row's smallest)


def _load(worker, model, state: dict, variant: str) -> None:
    """load_state_dict, after a short message of our own when the keys cannot match (the contract row details them)."""
    keys = set(state_dict(worker, model))
    missing, extra = sorted(set(state) - keys), sorted(keys - set(state))
    if missing or extra:
        what = "; ".join(p for p in (f"missing {missing[:3]}{' …' if len(missing) > 3 else ''}" if missing else "",
                                      f"unexpected {extra[:3]}{' …' if len(extra) > 3 else ''}" if extra else "") if p)  # fmt: skip
        raise CheckFailed(f"{CLASSES[variant]}'s state dict does not have nn.TransformerEncoder's keys ({what}), so its weights cannot be set: see the contract rows")
    load_state_dict(worker, model, state)


# ---------------------------------------------------------------------- contract: the stacks
def _key_hint(missing: list[str], extra: list[str], pre: bool) -> str:
    if pre and "norm.weight" in missing:
        return " A pre-LN stack ends with one final LayerNorm, self.norm = nn.LayerNorm(d_model)."
    if not pre and "norm.weight" in extra:
        return " A post-LN stack has no final LayerNorm: its last layer already ends with norm2."
    if missing and all(k.startswith("layers.") for k in missing) and not any(k.startswith("layers.") for k in extra):
        return " Keep the layers in an nn.ModuleList named `layers`, each with self_attn, linear1, linear2, norm1, norm2."
    return ""


@category("contract")
@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_is_nn_transformer_encoders(candidate, worker, variant) -> None:
    """the state dict has nn.TransformerEncoder's keys and shapes, every entry a trainable parameter"""
    pre = variant == "pre"
    model = build(candidate, CLASSES[variant], 8, 2, 3, 16)
    got = state_dict(worker, model)
    want = expected_shapes(8, 16, 3, pre)
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or extra:
        parts = [f"missing {missing[:6]}{' …' if len(missing) > 6 else ''}" if missing else "", f"unexpected {extra[:6]}{' …' if len(extra) > 6 else ''}" if extra else ""]
        raise CheckFailed(
            f"{CLASSES[variant]}(8, 2, 3, 16).state_dict() should have nn.TransformerEncoder's {len(want)} keys: "
            f"{'; '.join(p for p in parts if p)}.{_key_hint(missing, extra, pre)}"
        )
    for name, shape in want.items():
        if got[name].shape != shape:
            raise CheckFailed(f"{name} has shape {got[name].shape}; nn.TransformerEncoder's has {shape}")
    names = set(parameter_names(worker, model))
    if names != set(want):
        absent = sorted(set(want) - names)
        if absent and all(not k.startswith("layers.0.") and k.startswith("layers.") for k in absent):
            raise CheckFailed(
                f"only {len(names)} of the {len(want)} state-dict entries are separate parameters ({absent[0]} … are not): "
                "the layers share one set of weights. nn.ModuleList([layer] * num_layers) repeats one layer; build a new one per depth"
            )
        raise CheckFailed(f"these state-dict entries are not trainable nn.Parameters: {absent[:6]}")


@category("contract")
@pytest.mark.parametrize("variant", VARIANTS)
def test_layers_have_their_own_weights(candidate, worker, rng, variant) -> None:
    """each layer has its own weights: different weights loaded into each layer read back as loaded"""
    pre = variant == "pre"
    model = build(candidate, CLASSES[variant], 8, 2, 3, 16)
    state = random_state(rng, 8, 16, 3, pre)
    _load(worker, model, state, variant)
    back = state_dict(worker, model)
    for name, value in state.items():
        if name in back and not np.array_equal(back[name], value):
            layer = name.split(".")[1] if name.startswith("layers.") else ""
            shared = layer and any(np.array_equal(back[name], state[name.replace(f"layers.{layer}.", f"layers.{j}.", 1)]) for j in range(3) if str(j) != layer)
            why = ": the layers share one set of weights (nn.ModuleList([layer] * num_layers)?); build a new layer per depth" if shared else ""
            raise CheckFailed(f"after load_state_dict, {name} reads back different values than were loaded{why}")


@category("contract")
@pytest.mark.parametrize("variant", VARIANTS)
def test_built_from_parts(candidate, worker, rng, variant) -> None:
    """built from nn.MultiheadAttention, nn.Linear and nn.LayerNorm, not nn.TransformerEncoderLayer"""
    model = build(candidate, CLASSES[variant], 8, 2, 3, 16)
    found = run_script(worker, PARTS_DRIVER, outputs=["kinds", "has_layers", "num_layers"], model=model, label="listing your stack's submodules")
    for name, mro in found["kinds"]:
        banned = [c for c in mro if c in ("TransformerEncoderLayer", "TransformerEncoder")]
        if banned:
            where = f"self.{name}" if name else f"{CLASSES[variant]} itself"
            raise CheckFailed(f"{where} is (or subclasses) nn.{banned[0]}: build the layers from nn.MultiheadAttention, nn.Linear and nn.LayerNorm — their order is the exercise")
    if not found["has_layers"]:
        raise CheckFailed("the stack has no nn.ModuleList attribute `layers` (the spec's layout, as nn.TransformerEncoder's)")
    if found["num_layers"] != 3:
        raise CheckFailed(f"{CLASSES[variant]}(8, 2, 3, 16).layers holds {found['num_layers']} layers; expected 3")
    run = run_module(worker, model, tensor(rng.standard_normal((2, 4, 8)).astype(np.float32)))
    assert_written_by_hand(worker, run.ops, FUSED_OPS, "forward", "nn.TransformerEncoderLayer", BUILT_IN_LAYERS)


@category("contract")
@pytest.mark.parametrize("variant", VARIANTS)
def test_shape_and_dtype_kept(candidate, worker, rng, variant) -> None:
    """float32 and float64 (after .double()) outputs keep src's shape and dtype"""
    for dtype in ("float32", "float64"):
        model = build(candidate, CLASSES[variant], 8, 2, 2, 16)
        if dtype == "float64":
            model = model.double()
        x = rng.standard_normal((3, 5, 8)).astype(dtype)
        out = run_module(worker, model, tensor(x)).output
        if not isinstance(out, np.ndarray):
            raise CheckFailed(f"forward should return a tensor; it returned {type(out).__name__} (nn.MultiheadAttention returns a tuple: keep [0])")
        if out.shape != x.shape or out.dtype != x.dtype:
            raise CheckFailed(f"on a {dtype} src of shape {x.shape}, forward returned shape {out.shape} {out.dtype}; expected {x.shape} {dtype}")


@category("contract")
@pytest.mark.parametrize("variant", VARIANTS)
def test_input_not_modified(candidate, worker, rng, variant) -> None:
    """src is left as it was (no in-place residual adds on the input)"""
    model = build(candidate, CLASSES[variant], 8, 2, 2, 16)
    x = rng.standard_normal((2, 4, 8)).astype(np.float32)
    assert_input_kept(worker, model, x, name="src", advice=RESIDUAL_OUT_OF_PLACE)


# ---------------------------------------------------------------------- contract: compare_stability
@pytest.fixture
def runs(shared: dict) -> StabilityRuns:
    """compare_stability's results and the recipe's replays, computed once per grading run and shared by rows."""
    return shared.setdefault("stability", StabilityRuns())


@category("contract")
def test_compare_stability_structure(runs, candidate, seed) -> None:
    """compare_stability returns {'pre'|'post': {'grad_norms': num_layers floats, 'losses': steps floats}}"""
    for setting in (SMALL, gentle(seed), steep(seed)):  # three depths and step counts; the hidden rows reuse the last two
        runs.candidate(candidate, setting)


@category("contract")
def test_compare_stability_is_seeded(runs, candidate, report) -> None:
    """the same seed gives the same numbers, another seed other numbers"""
    first = runs.candidate(candidate, SMALL)
    again = parse_result(candidate.compare_stability(**SMALL.kwargs()), SMALL)  # a second call: not the memo
    other = runs.candidate(candidate, Setting(2, 3, 1e-3, 6))
    for name in ("pre", "post"):
        if not (np.array_equal(first[name].losses, again[name].losses) and np.array_equal(first[name].grad_norms, again[name].grad_norms)):
            raise CheckFailed(f"two calls with seed=5 gave different {name} numbers: seed torch with torch.manual_seed(seed) as the recipe does")
    if np.array_equal(first["pre"].losses, other["pre"].losses) and np.array_equal(first["post"].grad_norms, other["post"].grad_norms):
        raise CheckFailed("seed=5 and seed=6 gave the same numbers: the seed is ignored (or the numbers are hard-coded)")
    report.note("seed=5 twice: identical; seed=6: different")


# ---------------------------------------------------------------------- hidden: the stacks against PyTorch's
@dataclass(frozen=True)
class StackCase:
    label: str
    n: int
    length: int
    d: int
    nhead: int
    num_layers: int
    f: int
    dtype: str = "float32"

    def __str__(self) -> str:
        return self.label

    @property
    def rtol(self) -> float:
        return 2e-4 if self.dtype == "float32" else 1e-9


CASES = (
    StackCase("3 layers, 2×5×8, 2 heads, F=16", 2, 5, 8, 2, 3, 16),
    StackCase("1 layer, 3×4×12, 3 heads, F=8", 3, 4, 12, 3, 1, 8),
    StackCase("4 layers, one sequence, one head, F=32", 1, 6, 8, 1, 4, 32),
    StackCase("2 layers, float64", 2, 3, 6, 2, 2, 12, "float64"),
)


@category("hidden")
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_nn_transformer_encoder(candidate, worker, rng, case: StackCase, variant) -> None:
    """output and gradients (src and every parameter) match nn.TransformerEncoder with the same weights"""
    pre = variant == "pre"
    model = build(candidate, CLASSES[variant], case.d, case.nhead, case.num_layers, case.f)
    if case.dtype == "float64":
        model = model.double()
    state = random_state(rng, case.d, case.f, case.num_layers, pre, case.dtype)
    _load(worker, model, state, variant)
    theirs = reference_stack(case.d, case.nhead, case.f, case.num_layers, pre, state, dtype=case.dtype)
    x = (rng.standard_normal((case.n, case.length, case.d)) + rng.normal(0.0, 1.0, (case.n, case.length, 1))).astype(case.dtype)
    dy = rng.standard_normal(x.shape).astype(case.dtype)
    got = run_module(worker, model, tensor(x, grad=True), grad_output=dy)
    want = reference_run(theirs, tensor(x, grad=True), grad_output=dy)
    diagnoses = stack_diagnoses(case.d, case.nhead, case.f, case.num_layers, state, x, pre)
    assert_close(got.output, want.output, f"{LABEL[variant]} output", rtol=case.rtol, diagnoses=diagnoses)
    assert_run_matches(got, want, f"{LABEL[variant]}, {case.label}", rtol=case.rtol * 10)


@category("hidden")
def test_post_ln_output_is_normalized(candidate, worker, rng, report) -> None:
    """post-LN: every output token is the last norm2's output (mean 0, std 1 before its scale and shift)"""
    model = build(candidate, CLASSES["post"], 8, 2, 3, 16).double()
    state = random_state(rng, 8, 16, 3, False, "float64")
    _load(worker, model, state, "post")
    x = 3.0 * rng.standard_normal((2, 6, 8)) + 2.0
    out = run_module(worker, model, tensor(x)).output
    z = (np.asarray(out) - state["layers.2.norm2.bias"]) / state["layers.2.norm2.weight"]
    mean, std = z.mean(-1), z.std(-1)
    if not (np.max(np.abs(mean)) <= 1e-6 and np.max(np.abs(std - 1)) <= 1e-4):  # NaN fails too
        raise CheckFailed(
            f"(output - norm2.bias) / norm2.weight of the last layer should have mean 0 and std 1 over each token's features; "
            f"got means up to {np.max(np.abs(mean)):.3g} and stds {std.min():.4f}…{std.max():.4f}: a post-LN stack ends with the last layer's norm2"
        )
    report.note(f"per-token std of the normalized output {std.min():.6f}…{std.max():.6f}")


@category("hidden")
def test_pre_ln_ignores_a_per_token_shift(candidate, worker, rng) -> None:
    """pre-LN: adding a constant to all features of a token leaves the output unchanged"""
    model = build(candidate, CLASSES["pre"], 8, 2, 3, 16).double()
    state = random_state(rng, 8, 16, 3, True, "float64")
    _load(worker, model, state, "pre")
    x = rng.standard_normal((2, 6, 8))
    shift = rng.normal(0.0, 3.0, (2, 6, 1))
    plain = run_module(worker, model, tensor(x)).output
    shifted = run_module(worker, model, tensor(x + shift)).output
    try:
        assert_close(shifted, plain, "output for src + a per-token constant vs output for src", rtol=1e-7)
    except CheckFailed as failed:
        raise CheckFailed(
            f"{failed.message}. Every pre-LN sublayer reads its input through a LayerNorm and the final norm removes the shift the "
            "residual stream carries, so the output cannot change: is a sublayer fed the raw stream, or the final norm missing?"
        ) from None


# ---------------------------------------------------------------------- hidden: compare_stability
def _check_replay(cand, replay, setting) -> None:
    for name in ("pre", "post"):
        other = "post" if name == "pre" else "pre"
        for field, rtol in (("grad_norms", 1e-4), ("losses", 1e-3)):
            got, want = getattr(cand[name], field), getattr(replay[name], field)
            if np.allclose(got, want, rtol=rtol, atol=1e-7):
                continue
            hint = ""
            if np.allclose(got, getattr(replay[other], field), rtol=rtol, atol=1e-7):
                hint = f" They are the recipe's {other!r} numbers: the two entries are swapped."
            elif field == "grad_norms" and not np.any(got):
                hint = " Every norm is 0: measured after optimizer.zero_grad()?"
            elif field == "losses" and np.allclose(got[1:], want[:-1], rtol=rtol):
                hint = " They are one step late: record loss.item() before optimizer.step(), every step, starting at step 0."
            elif field == "losses" and np.allclose(got[0], want[0], rtol=rtol):
                hint = " The first loss agrees, the later ones do not: is optimizer.step() called once per step, with Adam(lr=lr)?"
            elif field == "grad_norms" and np.allclose(got, want**2, rtol=rtol):
                hint = " They are the squared norms: take the square root of the sum of squares."
            raise CheckFailed(
                f"{setting}: result[{name!r}][{field!r}] = {np.round(got, 4).tolist()}, but the recipe run on your own classes gives "
                f"{np.round(want, 4).tolist()}.{hint} The recipe: torch.manual_seed(seed), x then target drawn with torch.randn(16, 8, d_model); "
                "torch.manual_seed(seed + 1) before constructing each stack; Adam; F.mse_loss; gradient norms at step 0 after backward(), before step()"
            )


@category("hidden")
def test_reported_numbers_are_the_recipes(runs, candidate, worker, seed, report) -> None:
    """the gradient norms and losses reported are those the spec's recipe gives on your own classes"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    replay = runs.replay(worker, setting)
    _check_replay(cand, replay, setting)
    report.note(f"{setting}: the grader's run of the recipe agrees")


@category("hidden")
def test_gradient_norms_are_positive(runs, candidate, seed) -> None:
    """every layer's gradient norm at initialization is positive (read after backward, before zero_grad)"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    for name in ("pre", "post"):
        norms = cand[name].grad_norms
        if not np.all(norms > 0):  # NaN fails too
            zeros = [i for i, v in enumerate(norms) if v <= 0]
            raise CheckFailed(
                f"{setting}: {LABEL[name]} grad_norms {np.round(norms, 4).tolist()} are 0 at layers {zeros}: the gradients were read "
                "after optimizer.zero_grad() (or before backward()), or those layers' parameters are not used in forward"
            )


@category("hidden")
def test_pre_and_post_are_two_models(runs, candidate, seed) -> None:
    """result['pre'] and result['post'] come from two different models"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    if np.array_equal(cand["pre"].losses, cand["post"].losses) or np.array_equal(cand["pre"].grad_norms, cand["post"].grad_norms):
        raise CheckFailed(
            f"{setting}: 'pre' and 'post' report identical {'losses' if np.array_equal(cand['pre'].losses, cand['post'].losses) else 'gradient norms'}: "
            "both entries come from one model (or one of them is returned twice)"
        )


@category("hidden")
def test_both_losses_decrease(runs, candidate, seed, report) -> None:
    """at lr=1e-2 both stacks train: each final loss is below 0.8× its first"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    notes = []
    for name in ("pre", "post"):
        losses = cand[name].losses
        if not losses[-1] < 0.8 * losses[0]:
            flat = " (all equal: optimizer.step() is never called?)" if np.ptp(losses) == 0 else ""
            raise CheckFailed(f"{setting}: {LABEL[name]} losses go from {losses[0]:.4f} to {losses[-1]:.4f}; expected below 0.8× the first{flat}")
        notes.append(describe_series(f"{LABEL[name]} loss", losses))
    report.note("; ".join(notes))


@category("hidden")
def test_post_ln_gradient_is_largest_at_the_top(runs, candidate, seed, report) -> None:
    """post-LN at initialization: the last layer's gradient norm is ≥ 1.5× the first's, and ≥ 1.5× pre-LN's ratio"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    post, pre = cand["post"].grad_norms, cand["pre"].grad_norms
    if not (np.all(post > 0) and np.all(pre > 0)):  # NaN fails too
        raise CheckFailed(f"{setting}: a gradient norm is 0 (pre {np.round(pre, 4).tolist()}, post {np.round(post, 4).tolist()}): no pattern to compare")
    post_ratio, pre_ratio = post[-1] / post[0], pre[-1] / pre[0]
    if not post_ratio >= 1.5:
        raise CheckFailed(
            f"{setting}: post-LN grad_norms {np.round(post, 4).tolist()}: the last layer's is {post_ratio:.2f}× the first's; expected ≥ 1.5× "
            "(the last layer's norm2 produces the output and receives the loss's gradient directly). Is this really the post-LN stack?"
        )
    if not post_ratio >= 1.5 * pre_ratio:
        raise CheckFailed(f"{setting}: post-LN's last/first gradient ratio {post_ratio:.2f} should be ≥ 1.5× pre-LN's ({pre_ratio:.2f})")
    report.note(describe_series("post-LN grad norm by layer", post) + f" (×{post_ratio:.2f}; pre-LN ×{pre_ratio:.2f})")


@category("hidden")
def test_pre_ln_gradient_is_uniform(runs, candidate, seed, report) -> None:
    """pre-LN at initialization: the last layer's gradient norm is 0.4–1.25× the first's, all within 2× of each other"""
    setting = gentle(seed)
    cand = runs.candidate(candidate, setting)
    pre = cand["pre"].grad_norms
    if not np.all(pre > 0):
        raise CheckFailed(f"{setting}: pre-LN grad_norms {np.round(pre, 4).tolist()} contain 0: no pattern to compare")
    ratio, spread = pre[-1] / pre[0], pre.max() / pre.min()
    if not 0.4 <= ratio <= 1.25 or spread > 2.0:
        raise CheckFailed(
            f"{setting}: pre-LN grad_norms {np.round(pre, 4).tolist()}: last/first {ratio:.2f} (expected 0.4–1.25), largest/smallest "
            f"{spread:.2f} (expected ≤ 2): pre-LN's identity paths give every layer about the same gradient. Is this really the pre-LN stack?"
        )
    report.note(describe_series("pre-LN grad norm by layer", pre, scale=(0.0, float(pre.max()) * 2.5)) + f" (×{ratio:.2f})")


@category("hidden")
def test_large_lr_post_ln_falls_behind(runs, candidate, seed, report) -> None:
    """at lr=3e-2 without warm-up, pre-LN ends below half its first loss and below 0.8× post-LN's final loss"""
    setting = steep(seed)
    cand = runs.candidate(candidate, setting)
    pre, post = cand["pre"].losses, cand["post"].losses
    if not pre[-1] < 0.5 * pre[0]:
        raise CheckFailed(f"{setting}: pre-LN's loss goes from {pre[0]:.4f} to {pre[-1]:.4f}; expected below half of the first")
    if not pre[-1] < 0.8 * post[-1]:
        raise CheckFailed(
            f"{setting}: final losses pre-LN {pre[-1]:.4f}, post-LN {post[-1]:.4f}; expected pre-LN below 0.8× post-LN's "
            "(post-LN stalls at a large learning rate without warm-up)"
        )
    report.note(f"final loss pre-LN {pre[-1]:.3f}, post-LN {post[-1]:.3f}; " + describe_series("post-LN", post))


# ---------------------------------------------------------------------- gradcheck
@category("gradcheck")
@pytest.mark.parametrize("variant", VARIANTS)
def test_gradcheck(candidate, worker, rng, report, variant) -> None:
    """torch.autograd.gradcheck in float64 on a 2-layer stack: the input's gradient"""
    pre = variant == "pre"
    model = build(candidate, CLASSES[variant], 4, 2, 2, 6)
    _load(worker, model, random_state(rng, 4, 6, 2, pre), variant)
    x = rng.standard_normal((1, 3, 4))
    report.note(assert_jacobians(worker, model, tensor(x, grad=True, dtype="float64"), params=False))
