"""The toolkit hidden suites are written with: comparisons, gradient checks, spec examples, layer checks."""

from grader.kit.compare import assert_close, describe, expect_array, rel_error
from grader.kit.examples import spec_examples
from grader.kit.gradcheck import assert_gradient, numerical_gradient, remote_numerical_gradient
from grader.kit.layers import AffineNorm, Case, NormLayerChecks, category, unpack
from grader.outcomes import CheckFailed

__all__ = [
    "AffineNorm",
    "Case",
    "CheckFailed",
    "NormLayerChecks",
    "assert_close",
    "category",
    "assert_gradient",
    "describe",
    "expect_array",
    "numerical_gradient",
    "rel_error",
    "remote_numerical_gradient",
    "spec_examples",
    "unpack",
]
