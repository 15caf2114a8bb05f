"""Hidden checks for fc_net_norm. Rows on the scorecard come from these tests and the spec's examples.

Every check builds the candidate's FullyConnectedNet in the worker and then sets its parameters (and,
where a check is about them, its bn_params), so the candidate's net and the reference's compute the same
function on the same data.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from grader.core.candidate import RemoteObject
from grader.kit import CheckFailed, assert_close, category, describe, expect_array, spec_examples
from fc_net_checks import (
    NORMS,
    NetCase,
    RemoteNet,
    blobs,
    check_grad_keys,
    compare_grads,
    gradient_check,
    init_deviations,
    mistakes_for,
    model_diagnoses,
    norm_name,
    pick,
    reference_net,
    sgd,
    speed_workload,
)
from grader.kit.loss_trend import loss_shortfall
from dropout_reading import Zeroed, judge_dropout, read_dropout
from grader.kit.speed import measure_speed

test_examples = spec_examples(__file__)

GRAD_THRESHOLD = 1e-6


def _ids(cases: list[NetCase]) -> list[str]:
    return [c.label for c in cases]


def _norm_ids(norms: tuple) -> list[str]:
    return [norm_name(n) for n in norms]


def _rtol(case: NetCase) -> float:
    return 1e-4 if case.dtype == "float32" else 1e-7


# ====================================================================== contract
INIT_CASE = NetCase("", hidden=(100, 60), input_dim=150, classes=10, weight_scale=3e-2)


@category("contract")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_parameters_initialized(normalization: str | None, candidate: Any) -> None:
    """self.params: names, shapes, dtype and initial values"""
    case = replace(INIT_CASE, normalization=normalization)
    net = RemoteNet(candidate, case)
    params, shapes = net.params(), case.param_shapes()
    missing = [k for k in shapes if k not in params]
    extra = sorted(str(k) for k in params if k not in shapes)
    if missing or extra:
        raise CheckFailed(
            f"{case.ctor_text()}: self.params should hold exactly {', '.join(shapes)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else "")
        )
    for name, shape in shapes.items():
        expect_array(params[name], f"params[{name!r}]", shape=shape, dtype=np.float64)
    found = init_deviations(params, case)
    if found:
        raise CheckFailed(found[0])


@category("contract")
def test_default_dtype_is_float32(candidate: Any, rng: np.random.Generator) -> None:
    """dtype defaults to float32, and the computations keep it"""
    net = candidate.FullyConnectedNet([7, 6], input_dim=5, num_classes=4, normalization="batchnorm")
    if not isinstance(net, RemoteObject):
        raise CheckFailed(f"FullyConnectedNet(...) should create an object; got {describe(net)}")
    params = net.params
    if not isinstance(params, dict) or not params:
        raise CheckFailed(f"net.params must be a dict of arrays; it is {describe(params)}")
    for name, value in params.items():
        expect_array(value, f"params[{name!r}] with the default dtype", dtype=np.float32)
    x = rng.standard_normal((6, 5))  # float64 data: loss must cast it to the net's dtype
    scores = net.loss(x)
    expect_array(scores, "loss(X) of a float32 net fed float64 X", shape=(6, 4), dtype=np.float32)


@category("contract")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_loss_returns(normalization: str | None, candidate: Any, rng: np.random.Generator) -> None:
    """loss(X) returns scores, loss(X, y) returns (loss, grads) shaped like params"""
    case = NetCase("", normalization=normalization, reg=0.1)
    net = RemoteNet(candidate, case)
    net.set_params(case.draw_params(rng))
    x, y = case.draw_x(rng), case.draw_y(rng)
    _, grads = net.train(x, y)
    check_grad_keys(grads, case)
    net.scores(x)


@category("contract")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_keeps_float32(normalization: str | None, candidate: Any, rng: np.random.Generator) -> None:
    """dtype=np.float32: scores and gradients stay float32"""
    case = NetCase("", normalization=normalization, reg=0.1, dtype="float32")
    net = RemoteNet(candidate, case)
    net.set_params(case.draw_params(rng))
    x, y = case.draw_x(rng), case.draw_y(rng)
    _, grads = net.train(x, y)
    check_grad_keys(grads, case)
    for name in case.param_shapes():
        expect_array(grads[name], f"grads[{name!r}]", dtype=np.float32)
    expect_array(net.scores(x), "loss(X) (test mode: the scores)", dtype=np.float32)


@category("contract")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_inputs_not_modified(normalization: str | None, candidate: Any, rng: np.random.Generator) -> None:
    """loss modifies neither X, y nor self.params in place"""
    case = NetCase("", normalization=normalization, reg=0.5)
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    net.set_params(params)
    x, y = case.draw_x(rng), case.draw_y(rng)
    result = net.loss_fn.run(x, y, return_args=True)
    net.check_train_result(result.value)
    after = result.args_after or []
    for what, before, now in zip(("X", "y"), (x, y), after):
        if not (isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before)):
            raise CheckFailed(f"loss(X, y) modified its argument {what} in place; the caller still needs it")
    now = net.params()
    for name, value in params.items():
        if not (isinstance(now.get(name), np.ndarray) and np.array_equal(now[name], value)):
            raise CheckFailed(
                f"loss(X, y) changed self.params[{name!r}]: the loss only computes gradients, the optimizer updates "
                "the parameters (e.g. grads['W1'] = dW1 + reg * W1 must be a new array, not W1 += ...)"
            )


@category("contract")
@pytest.mark.parametrize("normalization", NORMS[1:], ids=_norm_ids(NORMS[1:]))
def test_finite_when_variance_is_zero(normalization: str, candidate: Any, rng: np.random.Generator) -> None:
    """finite loss and gradients when a normalization layer sees zero variance"""
    case = NetCase("", normalization=normalization)
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    params["W1"] = np.zeros_like(params["W1"])
    params["b1"] = np.full_like(params["b1"], 0.3)  # layer 1's input is constant over the batch and the features
    net.set_params(params)
    loss, grads = net.train(case.draw_x(rng), case.draw_y(rng))
    check_grad_keys(grads, case)
    for name in case.param_shapes():
        if not np.all(np.isfinite(grads[name])):
            raise CheckFailed(
                f"grads[{name!r}] contains NaN or inf when layer 1's variance is 0: is eps inside the square root?"
            )


# ====================================================================== hidden: the notebook's sanity check
NOTEBOOK = NetCase("", hidden=(20, 30), input_dim=15, classes=10, n=50, weight_scale=5e-2)


@category("hidden")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_initial_loss(normalization: str | None, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """your own initialization: the loss starts near ln(10), as in the notebook"""
    case = replace(NOTEBOOK, normalization=normalization)
    net = RemoteNet(candidate, case)  # the candidate's own parameters: this check does not set them
    loss, _ = net.train(case.draw_x(rng), case.draw_y(rng))
    if not abs(loss - np.log(case.classes)) <= 0.3:
        found = init_deviations(net.params(), case)
        cause = (
            f" The initial parameters differ from the spec's: {found[0]}"
            if found
            else " The initial parameters are as the spec draws them, so the loss itself is computed otherwise (the rows "
            "comparing it with the reference show how)"
        )
        raise CheckFailed(
            f"the initial loss is {loss:.4f} for {case.ctor_text()} on 50 random examples; with weights this small "
            f"the 10 scores start nearly equal, so the loss should be close to ln(10) = {np.log(10):.4f} (the "
            f"notebook's 'Initial loss' sanity check).{cause}"
        )
    report.note(f"initial loss {loss:.4f} (ln 10 = {np.log(10):.4f})")


# ====================================================================== hidden: train mode against the reference
TRAIN_CASES = [NetCase("", normalization=norm, reg=reg) for norm in NORMS for reg in (0.0, 3.14)] + [
    NetCase("N=2 as in the notebook", n=2, normalization="batchnorm", reg=3.14),
    NetCase("3 hidden layers", hidden=(12, 9, 7), n=6, normalization="batchnorm", reg=0.5),
    NetCase("3 hidden layers", hidden=(12, 9, 7), n=6, normalization="layernorm", reg=0.5),
    NetCase("one hidden layer", hidden=(16,), n=7, reg=0.2),
    NetCase("X of shape (N, 3, 4, 4)", input_dim=48, image=(3, 4, 4), normalization="batchnorm", reg=0.1),
    NetCase("a batch of one", n=1, normalization="layernorm", reg=0.1),
    NetCase("", normalization="batchnorm", reg=0.1, dtype="float32"),
    NetCase("", normalization="layernorm", reg=0.1, dtype="float32"),
]


@category("hidden")
@pytest.mark.parametrize("case", TRAIN_CASES, ids=_ids(TRAIN_CASES))
def test_loss_and_gradients_match_reference(case: NetCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """loss and grads vs reference"""
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    net.set_params(params)
    x, y = case.draw_x(rng), case.draw_y(rng)
    loss, grads = net.train(x, y)
    want_loss, want_grads = reference_net(reference, case, params).loss(x.copy(), y.copy())
    runs = model_diagnoses(case, mistakes_for(case), params, [(x, y)])
    loss_diagnoses = pick(runs, lambda r: np.asarray(r.loss))
    assert_close(np.asarray(loss), np.asarray(float(want_loss)), "loss", rtol=_rtol(case), diagnoses=loss_diagnoses)
    diagnoses = {name: pick(runs, lambda r, name=name: r.grads[name]) for name in case.param_shapes()}
    compare_grads(grads, want_grads, case, rtol=_rtol(case) * 10, diagnoses=diagnoses)


# ====================================================================== hidden: test mode
TEST_MODE_CASES = [
    NetCase("", normalization=None),
    NetCase("", normalization="layernorm"),
    NetCase("a batch of one", n=1, normalization="layernorm"),
]


@category("hidden")
@pytest.mark.parametrize("case", TEST_MODE_CASES, ids=_ids(TEST_MODE_CASES))
def test_scores_match_reference(case: NetCase, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """test-mode scores, loss(X), vs reference"""
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    net.set_params(params)
    x = case.draw_x(rng)
    got = net.scores(x)
    want = reference_net(reference, case, params).loss(x.copy())
    runs = model_diagnoses(case, mistakes_for(case), params, [(x, None)])
    assert_close(got, want, "scores", rtol=_rtol(case), dtype=case.dtype, diagnoses=pick(runs, lambda r: r.scores))


RUNNING_CASE = NetCase("", hidden=(20, 20), n=8, normalization="batchnorm", reg=0.1)


def _train_steps(case: NetCase, rng: np.random.Generator, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(case.draw_x(rng) * rng.uniform(0.5, 2.0) + rng.uniform(-1, 1), case.draw_y(rng)) for _ in range(steps)]


def _show_dict(d: dict) -> str:
    return "{" + ", ".join(f"{k!r}: {'...' if isinstance(v, np.ndarray) else repr(v)}" for k, v in d.items()) + "}"


def _check_running(got_params: list[dict], want_params: list[dict], runs: list, case: NetCase, when: str) -> None:
    for i, (got, want) in enumerate(zip(got_params, want_params)):
        for key in ("running_mean", "running_var"):
            if key not in got:
                raise CheckFailed(
                    f"bn_params[{i}] has no {key!r} {when}: batchnorm_forward keeps the running averages in "
                    f"bn_param['running_mean'] and bn_param['running_var'] (CS231n's names)"
                )
            assert_close(
                got[key], want[key], f"bn_params[{i}][{key!r}] {when}", rtol=_rtol(case) * 10,
                diagnoses=pick(runs, lambda r, i=i, key=key: r.bn_params[i][key]),
            )


@category("hidden")
def test_running_averages(candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """batchnorm: running_mean and running_var after two training steps"""
    case = RUNNING_CASE
    params = case.draw_params(rng)
    steps = _train_steps(case, rng, 2)
    net, other = RemoteNet(candidate, case), RemoteNet(candidate, case)
    net.set_params(params)
    other.set_params(case.draw_params(rng))
    net.train(*steps[0])
    other.train(case.draw_x(rng) + 3.0, case.draw_y(rng))  # another net's training must not touch this one's state
    net.train(*steps[1])
    ref = reference_net(reference, case, params)
    for x, y in steps:
        ref.loss(x.copy(), y.copy())
    runs = model_diagnoses(case, mistakes_for(case, running=True), params, steps)
    _check_running(net.bn_params(), ref.bn_params, runs, case, "after two training steps")


@category("hidden")
def test_batchnorm_test_mode(candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """batchnorm: test-mode scores use the running averages and leave them alone"""
    case = RUNNING_CASE
    params = case.draw_params(rng)
    steps = _train_steps(case, rng, 3)
    net = RemoteNet(candidate, case)
    net.set_params(params)
    for x, y in steps:
        net.train(x, y)
    before = net.bn_params()
    x_test = case.draw_x(rng, 6) * 1.5 + 0.5  # statistics unlike the training batches'
    got = net.scores(x_test)
    ref = reference_net(reference, case, params)
    for x, y in steps:
        ref.loss(x.copy(), y.copy())
    want = ref.loss(x_test.copy())
    runs = model_diagnoses(case, mistakes_for(case, running=True), params, steps + [(x_test, None)])
    diagnoses = pick(runs, lambda r: r.scores)
    assert_close(got, want, "scores in test mode", rtol=_rtol(case), dtype=case.dtype, diagnoses=diagnoses)
    for i, (old, new) in enumerate(zip(before, net.bn_params())):
        for key in ("running_mean", "running_var"):
            if key in old and not (isinstance(new.get(key), np.ndarray) and np.array_equal(old[key], new[key])):
                raise CheckFailed(
                    f"a test-mode call changed bn_params[{i}][{key!r}]: only training updates the running averages"
                )


def _settings(normalization: str, case: NetCase, rng: np.random.Generator) -> list[dict]:
    """Each key present in one layer's dict and absent from the other's."""
    if normalization == "layernorm":
        return [{"eps": 0.5}, {}]
    width = case.hidden[0]
    resumed = {"running_mean": rng.normal(0.0, 1.0, width), "running_var": rng.uniform(0.5, 2.0, width)}
    return [{"mode": "train", "momentum": 0.5, **resumed}, {"mode": "train", "eps": 0.1}]


@category("hidden")
@pytest.mark.parametrize("normalization", NORMS[1:], ids=_norm_ids(NORMS[1:]))
def test_param_dict_settings(normalization: str, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
    """eps, momentum and running averages given in bn_params are used"""
    case = replace(RUNNING_CASE, normalization=normalization)
    settings = _settings(normalization, case, rng)
    params = case.draw_params(rng)
    steps = _train_steps(case, rng, 2)
    net = RemoteNet(candidate, case)
    net.set_params(params)
    net.set_bn_params(settings)
    for x, y in steps:
        loss, _ = net.train(x, y)
    x_test = case.draw_x(rng, 6)
    got = net.scores(x_test)
    ref = reference_net(reference, case, params, settings)
    for x, y in steps:
        want_loss, _ = ref.loss(x.copy(), y.copy())
    want = ref.loss(x_test.copy())
    runs = model_diagnoses(case, mistakes_for(case, running=True, settings=True), params, steps, settings)
    shown = ", ".join(f"bn_params[{i}] = {_show_dict(d)}" for i, d in enumerate(settings))
    try:
        assert_close(np.asarray(loss), np.asarray(float(want_loss)), "the loss of the last training step", rtol=_rtol(case),
                     diagnoses=pick(runs, lambda r: np.asarray(r.loss)))
        if normalization == "batchnorm":
            _check_running(net.bn_params(), ref.bn_params, runs, case, "after two training steps")
        variants = mistakes_for(case, running=True, settings=True)
        test_runs = model_diagnoses(case, variants, params, steps + [(x_test, None)], settings)
        assert_close(got, want, "scores in test mode", rtol=_rtol(case), diagnoses=pick(test_runs, lambda r: r.scores))
    except CheckFailed as failure:
        raise CheckFailed(f"with {shown}: {failure.message}") from None


# ====================================================================== hidden: dropout
def _resumed_bn_params(case: NetCase, rng: np.random.Generator) -> list[dict] | None:
    """Running averages as after some training, so that test mode computes something sensible."""
    if case.normalization != "batchnorm":
        return None
    return [
        {"mode": "train", "running_mean": rng.normal(0.0, 0.5, h), "running_var": rng.uniform(0.5, 2.0, h)}
        for h in case.hidden
    ]


@category("hidden")
@pytest.mark.parametrize("normalization", NORMS, ids=_norm_ids(NORMS))
def test_dropout_off_in_test_mode(
    normalization: str | None, candidate: Any, reference: Any, rng: np.random.Generator
) -> None:
    """dropout: test-mode scores are those of the net without dropout"""
    case = NetCase("", normalization=normalization, dropout=0.5, seed=7)
    plain_case = replace(case, dropout=1.0, seed=None)
    params, x, state = case.draw_params(rng), case.draw_x(rng), _resumed_bn_params(case, rng)
    scores = []
    for each in (case, plain_case):
        net = RemoteNet(candidate, each)
        net.set_params(params)
        if state is not None:
            net.set_bn_params(state)
        scores.append(net.scores(x))
    got, plain = scores
    if not np.allclose(got, plain, rtol=1e-7, atol=1e-7):
        worst = float(np.max(np.abs(got - plain)))
        raise CheckFailed(
            f"in test mode your net with dropout={case.dropout:g} gives other scores than the same net with dropout=1 "
            f"(largest difference {worst:.3g}): test mode passes every unit through unscaled, since inverted dropout "
            "already divided by p while training"
        )
    want = reference_net(reference, plain_case, params, state).loss(x.copy())
    runs = model_diagnoses(plain_case, mistakes_for(plain_case, running=True), params, [(x, None)], state)
    assert_close(got, want, "scores in test mode", rtol=1e-7, diagnoses=pick(runs, lambda r: r.scores))


@category("hidden")
@pytest.mark.parametrize("keep", (0.75, 0.3), ids=("p=0.75", "p=0.3"))
def test_dropout_mask(keep: float, candidate: Any, rng: np.random.Generator) -> None:
    """dropout in train mode: each unit kept with probability p and divided by p"""
    # With the last layer's weights at 0, grads['W2'] gives away the hidden layer after dropout, and the same net
    # without dropout shows that reading is sound (see dropout_reading.py (beside this suite)); four examples with
    # distinct labels make it unique.
    case = NetCase("", hidden=(64,), input_dim=8, classes=10, n=4, dropout=keep, seed=int(rng.integers(1000)))
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    params["b1"] = np.full(64, 6.0)
    params["W2"] = np.zeros((64, 10))
    net.set_params(params)
    x, y = case.draw_x(rng), rng.permutation(10)[:4]
    loss, grads = net.train(x, y)
    check_grad_keys(grads, case)
    plain_case = replace(case, dropout=1.0, seed=None)
    plain = RemoteNet(candidate, plain_case)
    plain.set_params(params)
    _, plain_grads = plain.train(x, y)
    check_grad_keys(plain_grads, plain_case)
    judge_dropout(read_dropout(Zeroed.of(params, x, y), loss, grads["W2"], plain_grads["W2"]), keep)


# ====================================================================== hidden: training
TRAIN_ON_BLOBS = [NetCase("", hidden=(32, 32), input_dim=10, classes=3, normalization=norm, reg=1e-3) for norm in NORMS]


@category("hidden")
@pytest.mark.parametrize("case", TRAIN_ON_BLOBS, ids=_norm_ids(NORMS))
def test_learns_a_synthetic_problem(case: NetCase, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """SGD on 300 examples of 3 Gaussian blobs: the loss falls, test accuracy beats chance"""
    x, y = blobs(rng, 450, dim=case.input_dim, classes=case.classes)
    net = RemoteNet(candidate, case)
    params = case.draw_params(rng)
    params = {k: (v * 0.5 if k.startswith("W") else v) for k, v in params.items()}
    trained, losses = sgd(net, params, x[:300], y[:300], rng, epochs=4, batch=50, lr=0.2)
    first, last = float(np.mean(losses[:3])), float(np.mean(losses[-3:]))
    scores = net.scores(x[300:])
    accuracy = float(np.mean(np.argmax(scores, axis=1) == y[300:]))
    steps = f"over {len(losses)} SGD steps (means of the first and the last 3); test accuracy {accuracy:.0%} (chance 33%)"
    shortfall = loss_shortfall(first, last, below=0.5)
    if shortfall:
        raise CheckFailed(f"{shortfall} {steps}")
    text = f"loss {first:.3f} → {last:.3f} {steps}"
    if not accuracy >= 0.85:  # NaN fails too
        raise CheckFailed(f"the trained net classifies badly in test mode (expected 85% or more): {text}")
    report.note(text)


# ====================================================================== gradcheck
GRAD_CASES = [NetCase("", normalization=norm, reg=reg) for norm in NORMS for reg in (0.0, 3.14)] + [
    NetCase("", normalization="batchnorm", dropout=0.75, seed=123),
]


@category("gradcheck")
@pytest.mark.parametrize("case", GRAD_CASES, ids=_ids(GRAD_CASES))
def test_gradients_match_numerical(case: NetCase, candidate: Any, rng: np.random.Generator, report: Any) -> None:
    """grads match central differences of loss"""
    net = RemoteNet(candidate, case)
    params, x, y = case.smooth_inputs(rng)
    err = gradient_check(net, params, x, y, rng, GRAD_THRESHOLD)
    report.note(f"worst relative error {err:.1e} over 2 random directions per parameter (threshold {GRAD_THRESHOLD:.0e})")


# ====================================================================== speed
SPEED_HIDDEN = (32, 32)


@category("speed")
def test_speed(worker: Any, seed: int, report: Any) -> None:
    """loss(X, y) time vs reference, batchnorm and layernorm nets"""
    sizes = [(1024, 256), (512, 256), (256, 256), (128, 256)]
    figure = measure_speed(worker, "FullyConnectedNet.loss", speed_workload(SPEED_HIDDEN), sizes, seed=seed)
    report.speed(figure.ratio, figure.describe())
