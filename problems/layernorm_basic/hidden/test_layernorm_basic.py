"""Hidden checks for layernorm_basic. Rows on the scorecard come from these tests and the spec's examples."""

from grader.kit import Case, spec_examples
from ln_forward_only import ForwardOnlyChecks, ForwardOnlyNorm

test_examples = spec_examples(__file__)


class TestLayerNormBasic(ForwardOnlyChecks):
    layer = ForwardOnlyNorm(forward="layer_norm")
    hidden_cases = (
        Case("N < D", 4, 11),
        Case("N > D", 13, 5),
        Case("square", 6, 6),
        Case("a single row", 1, 9),
        Case("tiny variance", 5, 16, data="tiny_var"),
        Case("constant rows", 4, 6, data="constant"),
        Case("large mean", 6, 12, data="offset"),
        Case("non-default eps", 5, 10, data="tiny_var", eps=1e-3),
        Case("float32", 8, 32, dtype="float32"),
        Case("many features", 3, 257),
    )
