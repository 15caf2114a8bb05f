"""Hidden checks for rmsnorm. Rows on the scorecard come from these tests and the spec's examples."""

from grader.kit import Case, spec_examples
from rmsnorm_checks import RMSNormChecks, RMSNormLayer

test_examples = spec_examples(__file__)


class TestRMSNorm(RMSNormChecks):
    layer = RMSNormLayer()
    hidden_cases = (
        Case("N ≠ D", 7, 13),
        Case("a single row", 1, 9),
        Case("tiny rms", 5, 16, data="tiny"),
        Case("rows of zeros", 6, 8, data="zeros"),
        Case("large values", 6, 12, data="offset"),
        Case("constant rows", 4, 6, data="constant"),
        Case("non-default eps", 5, 10, data="tiny", eps=1e-3),
        Case("float32", 8, 32, dtype="float32"),
        Case("many features", 3, 257),
        Case("a single feature", 5, 1),
    )
    gradcheck_cases = (Case("small", 4, 5, data="narrow"), Case("wide", 3, 8, data="narrow"), Case("large eps", 3, 6, eps=1.0))
