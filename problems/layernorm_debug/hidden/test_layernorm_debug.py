"""Hidden checks for layernorm_debug. Rows on the scorecard come from these tests and the spec's examples.

The stub is broken code: it must fail some rows (and pass others). The square cases are deliberate: with
N == D a count of N where D belongs goes unnoticed, so a square row passing beside a failing non-square
row is itself a clue the scorecard gives.
"""

from grader.kit import Case, NormLayerChecks, spec_examples
from grader.kit.ln_mistakes import RowNorm

test_examples = spec_examples(__file__)


class TestLayerNormDebug(NormLayerChecks):
    layer = RowNorm(forward="layernorm_forward", backward="layernorm_backward", upstream="dout")
    hidden_cases = (
        Case("N < D", 4, 11),
        Case("N > D", 13, 5),
        Case("square", 6, 6),
        Case("a single example", 1, 9),
        Case("tiny variance", 5, 16, data="tiny_var"),
        Case("constant rows", 4, 6, data="constant"),
        Case("large mean", 6, 12, data="offset"),
        Case("non-default eps", 5, 10, data="tiny_var", eps=1e-3),
        Case("float32", 8, 32, dtype="float32"),
    )
    gradcheck_cases = (Case("square", 5, 5), Case("tall", 7, 4), Case("wide", 4, 7))
