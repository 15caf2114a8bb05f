"""The spec's examples, run as checks straight from the spec.

A problem's README holds its examples in one fixed shape, so the text a candidate reads *is* the check
that runs; they cannot drift apart:

    ### Example 2 — a title
    ```python
    x = np.array(...)                       # any code; the problem's functions are the candidate's
    y, cache = layernorm_forward(x, ...)
    ```
    Expected, within 1e-6:
    ```text
    y ≈ [[-1.5, 0.5], [-1.5, 0.5]]          # one expectation per `EXPR ≈ VALUE`; VALUE is a literal
    dx.sum(axis=0) ≈ [0.0, 0.0]
    ```

Each expectation becomes one scorecard row; the example's code runs once for all of its rows.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.kit.compare import assert_close, describe
from grader.outcomes import CheckFailed, CheckOutcome

_HEADING = re.compile(r"^### Example (\d+)\s*(?:[—-]\s*(.*))?$", re.M)
_CODE = re.compile(r"```python\n(.*?)```", re.S)
_EXPECTED = re.compile(r"Expected, within ([0-9.eE+-]+):\s*\n```text\n(.*?)```", re.S)


@dataclass(frozen=True)
class Expectation:
    example: int
    title: str
    code: str
    expr: str
    value: Any
    tolerance: float

    @property
    def label(self) -> str:
        return f"example {self.example}: {self.expr}"


class SpecFormatError(ValueError):
    """The README's examples are not in the shape this module reads (a bug in the problem, not the candidate)."""


def parse_examples(readme: str) -> list[Expectation]:
    section = readme.split("\n## Examples", 1)
    if len(section) < 2:
        raise SpecFormatError("the spec has no '## Examples' section")
    body = re.split(r"\n## ", section[1], maxsplit=1)[0]
    headings = list(_HEADING.finditer(body))
    if not headings:
        raise SpecFormatError("the Examples section has no '### Example N' headings")
    found: list[Expectation] = []
    for i, heading in enumerate(headings):
        chunk = body[heading.end() : headings[i + 1].start() if i + 1 < len(headings) else len(body)]
        code, expected = _CODE.search(chunk), _EXPECTED.search(chunk)
        if not code or not expected:
            raise SpecFormatError(f"example {heading.group(1)} needs a python block and an 'Expected, within TOL:' block")
        for expr, value in _expectation_lines(expected.group(2)):
            found.append(
                Expectation(int(heading.group(1)), (heading.group(2) or "").strip(), code.group(1), expr, value, float(expected.group(1)))
            )
    return found


def _expectation_lines(block: str) -> list[tuple[str, Any]]:
    """Split 'EXPR ≈ VALUE' statements; a VALUE may continue over several lines."""
    statements: list[tuple[str, Any]] = []
    pending = ""
    for line in block.splitlines():
        pending = f"{pending} {line.strip()}".strip() if pending else line.strip()
        if not pending:
            continue
        if "≈" not in pending:
            raise SpecFormatError(f"expected 'EXPR ≈ VALUE', got {pending!r}")
        expr, value_text = (part.strip() for part in pending.split("≈", 1))
        try:
            value = ast.literal_eval(value_text)
        except (SyntaxError, ValueError):
            continue  # the value goes on on the next line
        statements.append((expr, value))
        pending = ""
    if pending:
        raise SpecFormatError(f"unfinished expectation {pending!r}")
    return statements


def spec_examples(test_file: str) -> Any:
    """A parametrized test over the examples of the README next to the suite's folder (`hidden/..`)."""
    readme = Path(test_file).resolve().parents[1] / "README.md"
    expectations = parse_examples(readme.read_text(encoding="utf-8"))

    @pytest.mark.category("examples")
    @pytest.mark.parametrize("expectation", expectations, ids=[e.label for e in expectations])
    def test_example(expectation: Expectation, candidate: Any, problem: Any, worker: Any, shared: dict) -> None:
        runs: dict[int, dict | CheckOutcome] = shared.setdefault("examples", {})  # each example's code runs once
        if expectation.example not in runs:
            if problem.track == "torch":
                exprs = [e.expr for e in expectations if e.example == expectation.example]
                runs[expectation.example] = _run_example_in_worker(expectation.code, exprs, worker, list(problem.functions))
            else:
                runs[expectation.example] = _run_example(expectation.code, candidate, problem.functions)
        outcome = runs[expectation.example]
        if isinstance(outcome, CheckOutcome):
            raise type(outcome)(outcome.message)
        if problem.track == "torch":
            compare_expectation(expectation, outcome[expectation.expr])
        else:
            check_expectation(expectation, outcome)

    return test_example


def _unpacked_arity(code: str, functions: list[str]) -> dict[str, int]:
    """`a, b = fn(...)` in the example's code: fn must return exactly two values there."""
    arity = {}
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Tuple)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in functions
        ):
            arity[node.value.func.id] = len(node.targets[0].elts)
    return arity


def _returning(fn: Any, name: str, count: int) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        value = fn(*args, **kwargs)
        if not isinstance(value, (tuple, list)) or len(value) != count:
            raise CheckFailed(f"{name} must return {count} values (the example unpacks them); it returned {describe(value)}")
        return value

    return call


def _run_example(code: str, candidate: Any, functions: list[str]) -> dict | CheckOutcome:
    namespace: dict[str, Any] = {"np": np}
    namespace.update({name: getattr(candidate, name) for name in functions})
    for name, count in _unpacked_arity(code, functions).items():
        namespace[name] = _returning(namespace[name], name, count)
    try:
        exec(compile(code, "<spec example>", "exec"), namespace)
    except CheckOutcome as outcome:
        return outcome
    except Exception as exc:  # the candidate's results broke the example's own code (e.g. unpacking)
        return CheckFailed(f"the example's code failed on your results: {type(exc).__name__}: {exc}")
    return namespace


def _run_example_in_worker(code: str, exprs: list[str], worker: Any, functions: list[str]) -> dict | CheckOutcome:
    """PyTorch-track examples run where tensors can live, in the worker; only their values come back."""
    try:
        reply = worker.torch("example", "the example's code", {"code": code, "exprs": exprs, "names": functions})
    except CheckOutcome as outcome:
        return outcome
    return {expr: (CheckFailed(f"could not evaluate `{expr}` on your result: {found['error']}") if "error" in found else found["value"])
            for expr, found in reply["values"].items()}  # fmt: skip


def compare_expectation(expectation: Expectation, got: Any) -> None:
    if isinstance(got, CheckOutcome):
        raise got
    if isinstance(got, (list, tuple)) and not isinstance(expectation.value, (list, tuple)):
        raise CheckFailed(f"{expectation.expr}: expected a number, got {describe(got)}")
    if isinstance(expectation.value, bool):  # "expected True, got False", not "expected 1, got 0"
        shown = bool(got) if isinstance(got, (bool, np.bool_)) else describe(got)
        if shown is not expectation.value:
            raise CheckFailed(f"{expectation.expr}: expected {expectation.value}, got {shown}")
        return
    if isinstance(got, (list, tuple)) and all(not isinstance(v, np.ndarray) or v.ndim == 0 for v in got):
        got = [v.item() if isinstance(v, np.ndarray) else v for v in got]  # scalar tensors come back as 0-d arrays
    if isinstance(got, (int, float, np.generic, list, tuple)):
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{expectation.expr}: expected numbers, got {describe(got)}") from None
    assert_close(got, np.asarray(expectation.value, dtype=np.float64), expectation.expr, rtol=0.0, atol=expectation.tolerance)


def check_expectation(expectation: Expectation, namespace: dict) -> None:
    try:
        got = eval(expectation.expr, {"np": np}, namespace)  # noqa: S307 - the spec's own expression
    except Exception as exc:
        names = [n for n in namespace if n in expectation.expr and n != "np"]
        shown = ", ".join(f"{n} is {describe(namespace[n])}" for n in names)
        raise CheckFailed(f"could not evaluate `{expectation.expr}` on your result ({shown}): {exc}") from None
    compare_expectation(expectation, got)
