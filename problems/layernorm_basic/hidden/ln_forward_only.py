"""Checks for a forward-only normalization: f(x, gamma, beta, eps=...) returns the normalized array itself.

`NormLayerChecks` assumes a backward pass and an (out, cache) pair; a warm-up exercise has neither. A
suite describes its function with `ForwardOnlyNorm` and subclasses `ForwardOnlyChecks` with its cases; it
gets contract checks (one array back, shape, dtype kept, inputs untouched, finite on constant rows),
hidden checks (against the reference, with named mistakes; rows normalized independently) and the speed row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

from grader.kit.compare import assert_close, describe, expect_array
from grader.kit.layers import Case, Inputs, assert_unchanged
from grader.kit.ln_mistakes import RowNorm
from grader.kit.speed import measure_speed
from grader.outcomes import CheckFailed

category = pytest.mark.category
cases = pytest.mark.cases


@dataclass(frozen=True)
class ForwardOnlyNorm(RowNorm):
    """f(x, gamma, beta, eps=...) -> out, normalized per row; there is no backward function."""

    backward: str = ""
    outputs: tuple[str, ...] = ("out",)

    def returned(self, value: Any) -> Any:
        """The single array the function must return; a tuple (out, cache) is the classic slip here."""
        if isinstance(value, (tuple, list)):
            raise CheckFailed(
                f"{self.forward} must return the normalized array alone; it returned {describe(value)} "
                "(this exercise has no backward pass, so no cache: return out, not (out, cache))"
            )
        return value

    def call_forward(self, impl: Any, inputs: Inputs) -> Any:
        args, kwargs = self.forward_args(inputs)
        return self.returned(getattr(impl, self.forward)(*args, **kwargs))

    def speed_run(self, impl: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return getattr(impl, self.forward)(x, gamma, beta)


class ForwardOnlyChecks:
    """Subclass as `class TestX(ForwardOnlyChecks)` in a hidden suite and set `layer` and `hidden_cases`."""

    layer: ForwardOnlyNorm
    hidden_cases: tuple[Case, ...] = ()
    contract_size: tuple[int, int] = (6, 5)
    independence_case: Case = Case("rows alone", 4, 7)
    speed_sizes: tuple[tuple[int, ...], ...] = ((1024, 1024), (512, 1024), (256, 1024), (128, 1024))

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker("cases")
        if marker is not None:
            chosen = getattr(self, marker.args[0])
            metafunc.parametrize("case", chosen, ids=[c.label for c in chosen])

    @property
    def contract_case(self) -> Case:
        n, d = self.contract_size
        return Case("contract", n, d)

    # ================================================================== contract
    @category("contract")
    def test_returns_one_array_shaped_like_x(self, candidate: Any, rng: np.random.Generator) -> None:
        """returns the normalized array alone, shaped like x"""
        inputs = self.layer.make_inputs(rng, self.contract_case)
        out = self.layer.call_forward(candidate, inputs)
        expect_array(out, "the result", shape=inputs.x.shape, dtype=inputs.x.dtype)

    @category("contract")
    def test_keeps_float32(self, candidate: Any, rng: np.random.Generator) -> None:
        """float32 in, float32 out"""
        inputs = self.layer.make_inputs(rng, replace(self.contract_case, dtype="float32"))
        expect_array(self.layer.call_forward(candidate, inputs), "the result", dtype=np.float32)

    @category("contract")
    def test_inputs_not_modified(self, candidate: Any, rng: np.random.Generator) -> None:
        """inputs are not modified in place"""
        inputs = self.layer.make_inputs(rng, self.contract_case)
        args, kwargs = self.layer.forward_args(inputs)
        result = getattr(candidate, self.layer.forward).run(*args, return_args=True, **kwargs)
        self.layer.returned(result.value)
        assert_unchanged(self.layer.forward, self.layer.params, args, result.args_after)

    @category("contract")
    def test_finite_on_constant_input(self, candidate: Any, rng: np.random.Generator) -> None:
        """finite results for zero-variance rows"""
        n, d = self.contract_size
        inputs = self.layer.make_inputs(rng, Case("constant", n, d, data="constant"))
        out = expect_array(self.layer.call_forward(candidate, inputs), "the result", shape=inputs.x.shape)
        if not np.all(np.isfinite(out)):
            raise CheckFailed("the result contains NaN or inf when a row's variance is 0: is eps inside the square root?")

    # ================================================================== hidden
    @category("hidden")
    @cases("hidden_cases")
    def test_forward_matches_reference(self, case: Case, candidate: Any, reference: Any, rng: np.random.Generator) -> None:
        """result vs reference"""
        inputs = self.layer.make_inputs(rng, case)
        want = self.layer.call_forward(reference, inputs.copy())
        got = self.layer.call_forward(candidate, inputs)
        diagnoses = self.layer.forward_diagnoses(inputs, self.layer.candidate_default_eps(candidate))
        assert_close(got, want, "the result", rtol=case.rtol, dtype=inputs.x.dtype, diagnoses=diagnoses)

    @category("hidden")
    def test_rows_are_normalized_independently(self, candidate: Any, rng: np.random.Generator) -> None:
        """each row's result does not depend on the other rows"""
        inputs = self.layer.make_inputs(rng, self.independence_case)
        whole = expect_array(self.layer.call_forward(candidate, inputs), "the result", shape=inputs.x.shape)
        for i in range(inputs.x.shape[0]):
            alone = Inputs(inputs.x[i : i + 1].copy(), inputs.gamma, inputs.beta, inputs.eps)
            got = expect_array(self.layer.call_forward(candidate, alone), f"the result for row {i} alone", shape=(1, inputs.x.shape[1]))
            if not np.allclose(got[0], whole[i], rtol=1e-9, atol=1e-9):
                raise CheckFailed(
                    f"row {i} comes out differently when it is normalized on its own than inside the batch "
                    f"(largest difference {float(np.max(np.abs(got[0] - whole[i]))):.3g}): its statistics must come "
                    "from that row alone (axis=1, keepdims=True), not from other rows or the whole array"
                )

    # ================================================================== speed
    @category("speed")
    def test_speed(self, worker: Any, seed: int, report: Any) -> None:
        """time vs reference"""
        figure = measure_speed(worker, self.layer.forward, self.layer.speed_workload(), list(self.speed_sizes), seed=seed)
        report.speed(figure.ratio, figure.describe())
