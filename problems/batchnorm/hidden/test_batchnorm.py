"""Hidden checks for batchnorm. Rows on the scorecard come from these tests and the spec's examples."""

from grader.kit import AffineNorm, Case, CheckFailed, NormLayerChecks, category, describe, spec_examples

test_examples = spec_examples(__file__)


class TestBatchNorm(NormLayerChecks):
    layer = AffineNorm(forward="batchnorm_forward", backward="batchnorm_backward", stat_axis=0)
    hidden_cases = (
        Case("N ≠ D", 16, 7),
        Case("a batch of two", 2, 9),
        Case("tiny variance", 12, 6, data="tiny_var"),
        Case("constant columns", 6, 4, data="constant"),
        Case("large mean", 10, 8, data="offset"),
        Case("non-default eps", 8, 5, data="tiny_var", eps=1e-3),
        Case("float32", 32, 8, dtype="float32"),
        Case("wide batch", 5, 64),
    )
    gradcheck_cases = (Case("small", 5, 4), Case("tall", 8, 3))

    @category("contract")
    def test_cache_is_a_dict(self, candidate, rng):
        """the cache is a dict"""
        _, cache = self.layer.call_forward(candidate, self.layer.make_inputs(rng, self.contract_cases[0]))
        if not isinstance(cache, dict):
            raise CheckFailed(f"batchnorm_forward must return its cache as a dict; it returned {describe(cache)}")
