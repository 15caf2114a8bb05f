"""Hidden checks for torch_norm_comparison: two MLP classifiers, one with BatchNorm, one with LayerNorm.

The candidate's models live in the worker. The reference (the same architecture from PyTorch's modules)
runs here on the same weights, loaded through the state dict the spec fixes. The training experiment runs
in the worker as the grader's own driver on the candidate's classes, on a spiral generated here; only its
numbers come back, and they are judged here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from grader.kit import CheckFailed, assert_close, category, spec_examples
from grader.kit.loss_trend import loss_shortfall
from grader.kit.sparkline import describe_series
from grader.kit.torch_kit import (
    assert_input_kept,
    assert_run_matches,
    build,
    load_state_dict,
    parameter_names,
    reference_run,
    run_module,
    run_script,
    state_dict,
    tensor,
)
from torch_norm_comparison_checks import (
    CLASSES,
    LABEL,
    TRAIN_DRIVER,
    TRAINING,
    expected_shapes,
    output_diagnoses,
    random_state,
    reference_model,
    running_diagnoses,
    spiral,
)
from grader.outcomes import CandidateRaised, CheckOutcome

test_examples = spec_examples(__file__)

KINDS = ["batch", "layer"]


def _load(worker, model, state: dict, kind: str, *, strict: bool = True) -> bool:
    """Load `state` when the model's entries are the spec's; otherwise a short failure (strict) or keep its own weights."""
    keys = set(state_dict(worker, model))
    missing, extra = sorted(set(state) - keys), sorted(keys - set(state))
    if missing or extra:
        if not strict:
            return False
        what = "; ".join(p for p in (f"missing {missing[:3]}{' …' if len(missing) > 3 else ''}" if missing else "",
                                      f"unexpected {extra[:3]}{' …' if len(extra) > 3 else ''}" if extra else "") if p)  # fmt: skip
        raise CheckFailed(f"{CLASSES[kind]}'s state dict does not have the spec's entries ({what}), so the grader cannot set its weights: see the contract rows")
    load_state_dict(worker, model, state)
    return True


# ---------------------------------------------------------------------- contract
@category("contract")
@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_entries(candidate, worker, kind) -> None:
    """the state dict has the spec's entries and shapes (fc1, norm1, fc2, norm2, fc3), parameters only the weights and biases"""
    model = build(candidate, CLASSES[kind], 3, 8, 4)
    got = state_dict(worker, model)
    want = expected_shapes(3, 8, 4, kind)
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or extra:
        hint = ""
        if not any(k.startswith("norm") for k in got):
            hint = " There are no norm layers at all: norm1 and norm2 go between fc1/fc2 and their ReLUs."
        elif kind == "batch" and any(k.endswith("running_mean") for k in missing) and not any("running" in k for k in got):
            hint = (" Without running_mean/running_var the BatchNorm keeps no running statistics (track_running_stats=False?) "
                    "and cannot normalize a sample on its own in eval mode.")  # fmt: skip
        elif kind == "layer" and any("running" in k for k in extra):
            hint = " running statistics belong to BatchNorm: this model's norms should be nn.LayerNorm(hidden)."
        elif any(k.split(".")[0] not in ("fc1", "fc2", "fc3", "norm1", "norm2") for k in extra):
            hint = " Name the parts fc1, norm1, fc2, norm2, fc3 (an nn.Sequential numbers them instead)."
        raise CheckFailed(
            f"{CLASSES[kind]}(3, 8, 4).state_dict() should have {len(want)} entries: "
            + "; ".join(p for p in (f"missing {missing[:6]}" if missing else "", f"unexpected {extra[:6]}" if extra else "") if p)
            + f".{hint}"
        )
    for name, shape in want.items():
        if tuple(got[name].shape) != shape:
            raise CheckFailed(f"{name} has shape {tuple(got[name].shape)}; expected {shape}")
    names = set(parameter_names(worker, model))
    trainable = {k for k in want if k.endswith(("weight", "bias"))}
    if names - trainable:
        raise CheckFailed(f"the trainable parameters should be exactly the weights and biases; {sorted(names - trainable)[:4]} are parameters (running statistics are buffers: register_buffer)")
    if trainable - names:
        buffers = {name for name, *_ in worker.torch("parameters", f"{model.type_name}.buffers", {"target": model.ref})["buffers"]}
        absent = sorted(trainable - names)
        if not set(absent) & buffers:
            raise CheckFailed(
                f"{absent[:4]} appear in the state dict but not among the distinct parameters: they are another entry's tensors "
                "(one norm module registered twice, e.g. self.norm2 = self.norm1?); every layer needs its own"
            )
        raise CheckFailed(f"{absent[:4]} are buffers, not trainable nn.Parameters")


@category("contract")
@pytest.mark.parametrize("kind", KINDS)
def test_logits_shape_and_dtype(candidate, worker, rng, kind) -> None:
    """the output is (batch, num_classes) in the input's dtype, float32 and float64"""
    for dtype in ("float32", "float64"):
        model = build(candidate, CLASSES[kind], 3, 8, 4)
        if dtype == "float64":
            model = model.double()
        x = rng.standard_normal((6, 3)).astype(dtype)
        out = run_module(worker, model, tensor(x)).output
        if not isinstance(out, np.ndarray):
            raise CheckFailed(f"forward should return a tensor of logits; it returned {type(out).__name__}")
        if out.shape != (6, 4) or out.dtype != np.dtype(dtype):
            raise CheckFailed(f"on a {dtype} batch of shape (6, 3), forward returned {out.shape} {out.dtype}; expected (6, 4) {dtype}")


@category("contract")
@pytest.mark.parametrize("kind", KINDS)
def test_input_not_modified(candidate, worker, rng, kind) -> None:
    """the input batch is left as it was"""
    model = build(candidate, CLASSES[kind], 3, 8, 4)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    assert_input_kept(worker, model, x)


# ---------------------------------------------------------------------- hidden: against PyTorch's modules
@dataclass(frozen=True)
class Case:
    label: str
    n: int
    in_features: int
    hidden: int
    num_classes: int
    dtype: str = "float32"

    def __str__(self) -> str:
        return self.label

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-9


CASES = (
    Case("32×2 → 16 → 3", 32, 2, 16, 3),
    Case("5×7 → 8 → 4", 5, 7, 8, 4),
    Case("12×3 → 6 → 2, float64", 12, 3, 6, 2, "float64"),
)


def _inputs(rng: np.random.Generator, case: Case) -> np.ndarray:
    """Samples with a common offset and scale, so that a missing or misplaced norm shows."""
    return (2.0 * rng.standard_normal((case.n, case.in_features)) + rng.normal(0.0, 2.0, case.in_features)).astype(case.dtype)


def _pair(candidate, worker, rng, case: Case, kind: str):
    state = random_state(rng, case.in_features, case.hidden, case.num_classes, kind, case.dtype)
    mine = build(candidate, CLASSES[kind], case.in_features, case.hidden, case.num_classes)
    if case.dtype == "float64":
        mine = mine.double()
    _load(worker, mine, state, kind)
    theirs = reference_model(kind, case.in_features, case.hidden, case.num_classes, state, case.dtype)
    return mine, theirs, state


@category("hidden")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_train_mode_matches(candidate, worker, rng, case: Case, kind) -> None:
    """train mode: output and gradients (input and every parameter) match PyTorch's modules"""
    mine, theirs, state = _pair(candidate, worker, rng, case, kind)
    x = _inputs(rng, case)
    dy = rng.standard_normal((case.n, case.num_classes)).astype(case.dtype)
    got = run_module(worker, mine.train(), tensor(x, grad=True), grad_output=dy)
    want = reference_run(theirs.train(), tensor(x, grad=True), grad_output=dy)
    assert_close(got.output, want.output, f"{LABEL[kind]}, train mode: output", rtol=case.rtol, diagnoses=output_diagnoses(state, x, kind, True))
    assert_run_matches(got, want, f"{LABEL[kind]}, train mode, {case.label}", rtol=10 * case.rtol)


@category("hidden")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_running_statistics_update(candidate, worker, rng, case: Case) -> None:
    """BatchNorm model: one train-mode forward updates running_mean, running_var and num_batches_tracked as PyTorch does"""
    mine, theirs, state = _pair(candidate, worker, rng, case, "batch")
    x = _inputs(rng, case)
    run_module(worker, mine.train(), tensor(x))
    with torch.no_grad():
        theirs.train()(torch.from_numpy(x))
    got = state_dict(worker, mine)
    want = {k: v.numpy() for k, v in theirs.state_dict().items()}
    for i in (1, 2):
        for stat in ("running_mean", "running_var"):
            name = f"norm{i}.{stat}"
            assert_close(got[name], want[name], f"{name} after one train-mode forward", rtol=case.rtol, diagnoses=running_diagnoses(state, x, name))
        name = f"norm{i}.num_batches_tracked"
        if int(np.asarray(got[name])) != int(want[name]):
            raise CheckFailed(f"{name} is {int(np.asarray(got[name]))} after one train-mode forward from {int(state[name])}; expected {int(want[name])} (+1 per training batch)")


@category("hidden")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_eval_mode_matches(candidate, worker, rng, case: Case, kind) -> None:
    """eval mode: output and gradients match PyTorch's modules (BatchNorm reads its running statistics)"""
    mine, theirs, state = _pair(candidate, worker, rng, case, kind)
    x = _inputs(rng, case)
    dy = rng.standard_normal((case.n, case.num_classes)).astype(case.dtype)
    got = run_module(worker, mine.eval(), tensor(x, grad=True), grad_output=dy)
    want = reference_run(theirs.eval(), tensor(x, grad=True), grad_output=dy)
    assert_close(got.output, want.output, f"{LABEL[kind]}, eval mode: output", rtol=case.rtol, diagnoses=output_diagnoses(state, x, kind, False))
    assert_run_matches(got, want, f"{LABEL[kind]}, eval mode, {case.label}", rtol=10 * case.rtol)
    if kind == "batch":
        after = state_dict(worker, mine)
        for name in ("norm1.running_mean", "norm1.running_var", "norm2.running_mean", "norm2.running_var"):
            if not np.array_equal(after[name], state[name]):
                raise CheckFailed(f"an eval-mode forward changed {name}: eval mode must only read the running statistics")


# ---------------------------------------------------------------------- hidden: the behaviour, on random weights
def _outputs(worker, model, batches: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(run_module(worker, model, tensor(b)).output, dtype=np.float64) for b in batches]


def _batchmates(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two batches of 16 sharing their first 4 samples; the other 12 differ (and are shifted)."""
    a = rng.standard_normal((16, 3))
    b = np.concatenate([a[:4], rng.standard_normal((12, 3)) * 2.0 + 1.5])
    return a.astype(np.float32), b.astype(np.float32)


@category("hidden")
def test_batchnorm_train_mode_depends_on_the_batch(candidate, worker, rng, report) -> None:
    """BatchNorm model, train mode: a sample's output changes when its batch-mates change"""
    model = build(candidate, CLASSES["batch"], 3, 8, 4)
    _load(worker, model, random_state(rng, 3, 8, 4, "batch"), "batch", strict=False)
    a, b = _batchmates(rng)
    out_a, out_b = _outputs(worker, model.train(), [a, b])
    gap = float(np.max(np.abs(out_a[:4] - out_b[:4])))
    if not gap >= 1e-3:  # NaN fails too
        raise CheckFailed(
            f"in train mode the first 4 samples give the same outputs (max difference {gap:.2g}) whatever the other 12 samples of their batch: "
            "BatchNorm should normalize with the batch's statistics (is the norm applied, over dim 0, and does train mode use batch statistics?)"
        )
    report.note(f"the same 4 samples among other batch-mates: outputs move by up to {gap:.3g}")


@category("hidden")
def test_batchnorm_eval_mode_is_per_sample(candidate, worker, rng) -> None:
    """BatchNorm model, eval mode: a sample's output does not depend on its batch-mates"""
    model = build(candidate, CLASSES["batch"], 3, 8, 4)
    _load(worker, model, random_state(rng, 3, 8, 4, "batch"), "batch", strict=False)
    a, b = _batchmates(rng)
    out_a, out_b, alone = _outputs(worker, model.eval(), [a, b, a[:1]])
    gap = max(float(np.max(np.abs(out_a[:4] - out_b[:4]))), float(np.max(np.abs(out_a[:1] - alone))))
    if not gap <= 1e-5:  # NaN fails too
        raise CheckFailed(
            f"in eval mode a sample's output changes with its batch-mates (by up to {gap:.3g}): eval mode must normalize with the running "
            "statistics (track_running_stats=False, or a hand-written BatchNorm that ignores self.training, uses the batch's)"
        )


@category("hidden")
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layernorm_is_per_sample(candidate, worker, rng, mode) -> None:
    """LayerNorm model: a sample's output does not depend on its batch-mates, in train and eval mode"""
    model = build(candidate, CLASSES["layer"], 3, 8, 4)
    _load(worker, model, random_state(rng, 3, 8, 4, "layer"), "layer", strict=False)
    model = model.train() if mode == "train" else model.eval()
    a, b = _batchmates(rng)
    out_a, out_b, alone = _outputs(worker, model, [a, b, a[:1]])
    gap = max(float(np.max(np.abs(out_a[:4] - out_b[:4]))), float(np.max(np.abs(out_a[:1] - alone))))
    if not gap <= 1e-5:  # NaN fails too
        raise CheckFailed(
            f"in {mode} mode a sample's output changes with its batch-mates (by up to {gap:.3g}): LayerNorm normalizes each sample "
            "over its own features (the last dim), never over the batch"
        )


@category("hidden")
def test_layernorm_train_equals_eval(candidate, worker, rng) -> None:
    """LayerNorm model: train() and eval() give the same outputs"""
    model = build(candidate, CLASSES["layer"], 3, 8, 4)
    _load(worker, model, random_state(rng, 3, 8, 4, "layer"), "layer", strict=False)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    (trained,) = _outputs(worker, model.train(), [x])
    (evaluated,) = _outputs(worker, model.eval(), [x])
    gap = float(np.max(np.abs(trained - evaluated)))
    if not gap <= 1e-6:  # NaN fails too
        raise CheckFailed(f"train() and eval() outputs differ by up to {gap:.3g}: LayerNorm keeps no running statistics and behaves the same in both modes")


# ---------------------------------------------------------------------- hidden: the experiment
def _trained(shared: dict, worker, seed: int) -> dict:
    """Both models trained by the grader's driver on a spiral of this run (once per grading run)."""
    trained: dict[int, dict | CheckOutcome] = shared.setdefault("trained", {})
    if seed not in trained:
        rng = np.random.default_rng([seed, 4])
        x, y = spiral(rng)
        try:
            out = run_script(
                worker, TRAIN_DRIVER, outputs=["results"], names=tuple(CLASSES.values()), label="training your models",
                x=tensor(x), y=tensor(y), num_classes=3, train_seed=seed % 100_000, **TRAINING,
            )  # fmt: skip
            trained[seed] = out["results"]
        except CandidateRaised as exc:
            trained[seed] = exc if exc.not_implemented else CheckFailed(f"training your models failed: {exc.message}")
        except CheckOutcome as outcome:
            trained[seed] = outcome
    found = trained[seed]
    if isinstance(found, CheckOutcome):
        raise type(found)(found.message)
    return found


def _curves(results: dict) -> str:
    return "; ".join(describe_series(f"{LABEL[k]} loss", np.asarray(results[k]["losses"], dtype=float)) for k in KINDS)


@category("hidden")
@pytest.mark.parametrize("kind", KINDS)
def test_learns_the_spiral(shared, candidate, worker, seed, report, kind) -> None:
    """trained on a 3-class spiral: accuracy ≥ 0.75 (chance 0.33) and the loss below 0.7× its start"""
    results = _trained(shared, worker, seed)
    losses = np.asarray(results[kind]["losses"], dtype=float)
    accuracy = float(results[kind]["accuracies"][-1])
    if not np.all(np.isfinite(losses)):
        raise CheckFailed(f"{LABEL[kind]}: the training loss became NaN or inf: {np.round(losses, 3).tolist()}")
    shortfall = loss_shortfall(float(losses[0]), float(losses[-1]), below=0.7)
    if not accuracy >= 0.75 or shortfall:
        loss = shortfall or f"the training loss fell: {losses[0]:.3f} → {losses[-1]:.3f}"
        raise CheckFailed(
            f"{LABEL[kind]} after {TRAINING['epochs']} epochs: accuracy {accuracy:.3f} (expected ≥ 0.75); {loss}. The rows "
            "comparing the model's output and gradients with PyTorch's modules show whether the model itself differs"
        )
    report.note(f"accuracy {accuracy:.3f}; " + describe_series("loss", losses))


@category("hidden")
def test_trained_batchnorm_train_and_eval_differ(shared, candidate, worker, seed, report) -> None:
    """after training: the BatchNorm model's train-mode and eval-mode outputs on the same batch differ"""
    results = _trained(shared, worker, seed)["batch"]
    gap = float(np.max(np.abs(np.asarray(results["out_train"]) - np.asarray(results["out_eval"]))))
    if not gap >= 1e-3:  # NaN fails too
        raise CheckFailed(
            f"after training, the BatchNorm model gives the same outputs in train() and eval() mode (max difference {gap:.2g}): "
            "eval mode should use the running statistics, train mode the batch's"
        )
    report.note(f"max |train-mode − eval-mode output| = {gap:.3g} on 64 samples")


@category("hidden")
def test_trained_layernorm_train_and_eval_agree(shared, candidate, worker, seed, report) -> None:
    """after training: the LayerNorm model's train-mode and eval-mode outputs on the same batch agree"""
    results = _trained(shared, worker, seed)
    gap = float(np.max(np.abs(np.asarray(results["layer"]["out_train"]) - np.asarray(results["layer"]["out_eval"]))))
    if not gap <= 1e-5:  # NaN fails too
        raise CheckFailed(f"after training, the LayerNorm model's train-mode and eval-mode outputs differ by up to {gap:.3g}: LayerNorm has no mode")
    report.note(_curves(results))


@category("hidden")
def test_trained_batchnorm_tracked_statistics(shared, candidate, worker, seed) -> None:
    """after training: the BatchNorm model's running statistics moved away from their initial 0 and 1"""
    state = _trained(shared, worker, seed)["batch"]["state"]
    for i in (1, 2):
        missing = [s for s in ("running_mean", "running_var") if state.get(f"norm{i}.{s}") is None]
        if missing:
            raise CheckFailed(f"after training, the state dict has no {', '.join(f'norm{i}.{s}' for s in missing)}: a BatchNorm keeps its running statistics as buffers")
        mean, var = (np.asarray(state[f"norm{i}.{s}"], dtype=float) for s in ("running_mean", "running_var"))
        unmoved = [
            f"norm{i}.{name} is still within {float(np.max(np.abs(value - start))):.2g} of its initial {start:g}"
            for name, value, start in (("running_mean", mean, 0.0), ("running_var", var, 1.0))
            if value.size and np.max(np.abs(value - start)) < 1e-3
        ]
        if unmoved:
            raise CheckFailed(
                f"after training, {' and '.join(unmoved)}: it was never updated (a hand-written BatchNorm must update "
                "its running statistics in train mode, in place or by reassigning the buffers)"
            )


@category("hidden")
def test_trained_models_batch_dependence(shared, candidate, worker, seed) -> None:
    """after training: 16 samples' outputs differ between a batch of 64 and a batch of those 16 only for BatchNorm in train mode"""
    results = _trained(shared, worker, seed)
    gaps = {
        (kind, mode): float(np.max(np.abs(np.asarray(results[kind][f"out_{mode}"])[:16] - np.asarray(results[kind][f"out_{mode}_part"]))))
        for kind in KINDS
        for mode in ("train", "eval")
    }
    if not gaps[("batch", "train")] >= 1e-3:
        raise CheckFailed("after training, the BatchNorm model in train mode gives 16 samples the same outputs in a batch of 64 and alone: no batch statistics")
    for (kind, mode), gap in gaps.items():
        if (kind, mode) != ("batch", "train") and not gap <= 1e-5:
            raise CheckFailed(f"after training, the {LABEL[kind]} in {mode} mode gives 16 samples different outputs in a batch of 64 and alone (by {gap:.3g})")
