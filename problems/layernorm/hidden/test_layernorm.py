"""Hidden checks for layernorm. Rows on the scorecard come from these tests and the spec's examples."""

from grader.kit import AffineNorm, Case, NormLayerChecks, spec_examples

test_examples = spec_examples(__file__)


class TestLayerNorm(NormLayerChecks):
    layer = AffineNorm(
        forward="layernorm_forward", backward="layernorm_backward", stat_axis=1, outputs=("y", "cache"), upstream="dy"
    )
    gamma_shapes = ("vector", "row")
    hidden_cases = (
        Case("N ≠ D", 7, 13),
        Case("a single row", 1, 9),
        Case("tiny variance", 5, 16, data="tiny_var"),
        Case("constant rows", 4, 6, data="constant"),
        Case("large mean", 6, 12, data="offset"),
        Case("non-default eps", 5, 10, data="tiny_var", eps=1e-3),
        Case("gamma (1, D)", 4, 11, gamma_shape="row"),
        Case("float32", 8, 32, dtype="float32"),
        Case("many features", 3, 257),
    )
    gradcheck_cases = (Case("small", 4, 5), Case("gamma (1, D)", 3, 7, gamma_shape="row"))
