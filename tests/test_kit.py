"""The suite-author toolkit and the wire protocol, in process."""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.kit import mistakes
from grader.kit.compare import assert_close, expect_array, rel_error
from grader.kit.examples import SpecFormatError, parse_examples
from grader.kit.loss_trend import loss_shortfall
from grader.outcomes import CheckFailed
from grader.sandbox.protocol import HEADER, Opaque, ProtocolError, Ref, dumps, loads_untrusted


def _beside_suite(slug: str, name: str):
    """A module that lives beside one problem's hidden suite (what only that suite uses), imported by path."""
    path = Path(__file__).resolve().parents[1] / "problems" / slug / "hidden" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"normkata_hidden_{slug}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


dropout_reading = _beside_suite("fc_net_norm", "dropout_reading")


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return info.value.message


def test_rel_error_is_cs231n_definition() -> None:
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert rel_error([0.0], [1e-12]) == pytest.approx(1e-4)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_expect_array_names_what_came_back() -> None:
    assert "got a list" in _message(expect_array, [1, 2], "y")
    assert "got None" in _message(expect_array, None, "y")
    assert "np.matrix" in _message(expect_array, np.matrix([[1.0]]), "y")
    assert "(transposed?)" in _message(expect_array, np.zeros((3, 2)), "dx", shape=(2, 3))
    assert "keep gamma's shape" in _message(expect_array, np.zeros((1, 4)), "dgamma", shape=(4,))
    assert "dtype float32" in _message(expect_array, np.zeros(2), "y", dtype=np.float32)


def test_assert_close_reports_worst_element_and_diagnosis() -> None:
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal(6)
    models = mistakes.forward_mistakes(x, gamma, beta, 1e-5, axis=1, wrong_axis=0)
    right = mistakes.normalize(x, 1, 1e-5) * gamma + beta
    wrong = mistakes.normalize(x, 1, 1e-5, ddof=1) * gamma + beta
    message = _message(assert_close, wrong, right, "y", rtol=1e-7, diagnoses=models)
    assert "max error" in message and "expected" in message and "Looks like the variance used ddof=1" in message
    assert_close(right + 1e-12, right, "y", rtol=1e-7)


def test_assert_close_points_at_nan() -> None:
    got = np.ones((2, 3))
    got[1, 2] = np.nan
    assert "NaN" in _message(assert_close, got, np.ones((2, 3)), "y", rtol=1e-7) and "(1, 2)" in _message(
        assert_close, got, np.ones((2, 3)), "y", rtol=1e-7
    )


def test_generic_scale_diagnosis() -> None:
    want = np.arange(1.0, 7.0).reshape(2, 3)
    assert "0.5× the expected" in _message(assert_close, want / 2, want, "dx", rtol=1e-7)


def test_no_common_factor_is_read_into_one_number() -> None:
    """A scalar is always some multiple of another: that says nothing about a normalizing count."""
    message = _message(assert_close, np.asarray(2.40272), np.asarray(2.88477), "loss", rtol=1e-7)
    assert "max error" in message and "×" not in message and "normalizing" not in message


def test_mistakes_that_coincide_are_all_named() -> None:
    """Two mistakes with one answer on this input: naming the first would be a guess."""
    want = np.arange(1.0, 7.0).reshape(2, 3)
    wrong = want + 1.0
    models = {"A happened": lambda: wrong, "B happened": lambda: wrong.copy(), "C happened": lambda: want * 3}
    message = _message(assert_close, wrong, want, "y", rtol=1e-7, diagnoses=models)
    assert "A happened; or B happened (these mistakes give the same answer" in message and "C happened" not in message


def test_a_loss_that_fell_is_never_said_not_to_fall() -> None:
    assert loss_shortfall(1.072, 0.5, below=0.5) is None
    fell = loss_shortfall(1.072, 0.654, below=0.5)
    assert fell.startswith("the training loss fell too little: 1.072 → 0.654") and "not" not in fell
    barely = loss_shortfall(1.1113, 1.1109, below=0.5)
    assert "fell too little: 1.1113 → 1.1109" in barely  # as many digits as it takes to show the fall
    assert loss_shortfall(1.0, 1.0, below=0.5).startswith("the training loss did not change")
    assert loss_shortfall(1.0, 1.2, below=0.5).startswith("the training loss rose")


def _net_without_dropout(rng: np.random.Generator, grad_scale: float = 1.0, relu_scores: bool = False) -> tuple:
    """A one-hidden-layer net with W2 = 0, computed here: its zeroed parts, loss and grads['W2']."""
    params = {"W1": rng.standard_normal((8, 64)) / 3, "b1": np.full(64, 6.0), "W2": np.zeros((64, 10)), "b2": rng.normal(0, 1, 10)}
    x, y = rng.standard_normal((4, 8)), rng.permutation(10)[:4]
    zeroed = dropout_reading.Zeroed.of(params, x, y)
    if relu_scores:
        params = {**params, "b2": np.maximum(params["b2"], 0.0)}
    wrong = dropout_reading.Zeroed.of(params, x, y)
    return zeroed, wrong.loss, grad_scale * zeroed.hidden.T @ wrong.dscores


def test_dropout_is_judged_only_on_a_sound_reading() -> None:
    rng = np.random.default_rng(3)
    zeroed, loss, grad = _net_without_dropout(rng)
    mask = rng.random(zeroed.hidden.shape) < 0.75
    dropped = zeroed.hidden * mask / 0.75
    reading = dropout_reading.read_dropout(zeroed, loss, dropped.T @ zeroed.dscores, grad)
    dropout_reading.judge_dropout(reading, 0.75)  # the right dropout passes
    swapped = zeroed.hidden * ~mask / 0.25
    message = _message(dropout_reading.judge_dropout, dropout_reading.read_dropout(zeroed, loss, swapped.T @ zeroed.dscores, grad), 0.75)
    assert "probability of dropping a unit" in message
    # A ReLU on the scores changes the loss and dscores: nothing may be said of its dropout, which it does not have.
    zeroed, loss, grad = _net_without_dropout(np.random.default_rng(4), relu_scores=True)
    message = _message(dropout_reading.read_dropout, zeroed, loss, grad, grad)
    assert "could not be read" in message and "dropping" not in message and "no hidden unit" not in message
    # A gradient a quarter of the right one is not a dropout that scales by 1/4.
    zeroed, loss, grad = _net_without_dropout(np.random.default_rng(5), grad_scale=0.25)
    message = _message(dropout_reading.read_dropout, zeroed, loss, grad, grad)
    assert "could not be read" in message and "without dropout yours is not" in message and "scaled by" not in message


def test_mistake_models_differ_from_the_truth() -> None:
    rng = np.random.default_rng(1)
    x, gamma, dout = rng.standard_normal((5, 7)), rng.standard_normal(7), rng.standard_normal((5, 7))
    x[0] = 3.0  # a zero-variance row, where the special-casing mistake shows
    truth = mistakes.correct_dx(x, gamma, 1e-5, dout, axis=1)
    for label, model in mistakes.dx_mistakes(x, gamma, 1e-5, dout, axis=1).items():
        assert not np.allclose(model(), truth), label


SPEC = """# T
## Examples
### Example 1 — one
```python
y = f(np.array([1.0, 2.0]))
```
Expected, within 1e-6:
```text
y ≈ [[1.0, 2.0],
     [3.0, 4.0]]
y.sum() ≈ 10.0
```
## Next
"""


def test_parse_examples_reads_multiline_values() -> None:
    (first, second) = parse_examples(SPEC)
    assert first.expr == "y" and first.value == [[1.0, 2.0], [3.0, 4.0]] and first.tolerance == 1e-6
    assert second.expr == "y.sum()" and second.value == 10.0 and first.label == "example 1: y"


@pytest.mark.parametrize("broken", [SPEC.replace("## Examples", "## Samples"), SPEC.replace("Expected, within 1e-6:", "Result:"), SPEC.replace("y.sum() ≈ 10.0", "y.sum() = 10.0")])
def test_parse_examples_rejects_malformed_specs(broken: str) -> None:
    with pytest.raises(SpecFormatError):
        parse_examples(broken)


def test_protocol_round_trips_plain_data_and_markers() -> None:
    value = {"a": (np.arange(3.0), np.float32(2), 1 + 2j, None), "b": Opaque("Thing", Ref(3, (1,)))}
    frame = dumps(value)
    decoded = loads_untrusted(frame[HEADER.size :])
    assert np.array_equal(decoded["a"][0], np.arange(3.0)) and decoded["b"].ref == Ref(3, (1,))


def test_protocol_refuses_anything_that_could_run_code() -> None:
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(ProtocolError, match="not plain data"):
        loads_untrusted(pickle.dumps(Evil()))
    with pytest.raises(ProtocolError):
        loads_untrusted(b"\x80\x05garbage")


def _expect(value, tolerance: float = 1e-6):
    from grader.kit.examples import Expectation

    return Expectation(1, "", "", "r", value, tolerance)


def test_example_values_compare_as_the_spec_writes_them() -> None:
    from grader.kit.examples import compare_expectation

    compare_expectation(_expect([1.0, 2.0]), [np.asarray(1.0), np.asarray(2.0)])  # scalar tensors, as the worker sends them
    compare_expectation(_expect([[1.0], [2.0]]), [[1.0], [2.0]])
    compare_expectation(_expect(True), np.bool_(True))
    with pytest.raises(CheckFailed, match=r"^r: expected True, got False$"):
        compare_expectation(_expect(True), False)
    with pytest.raises(CheckFailed, match=r"expected True, got an array"):
        compare_expectation(_expect(True), np.ones(2))
    with pytest.raises(CheckFailed, match=r"expected numbers, got a list"):
        compare_expectation(_expect([1.0, 2.0]), ["a", "b"])
    with pytest.raises(CheckFailed, match=r"max error 1"):
        compare_expectation(_expect([1.0, 2.0]), [np.asarray(1.0), np.asarray(3.0)])
