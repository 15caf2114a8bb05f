"""Hidden checks for groupnorm. Rows on the scorecard come from these tests and the spec's examples."""

from grader.kit import spec_examples
from groupnorm_checks import GNCase, GroupNormChecks, GroupNormLayer

test_examples = spec_examples(__file__)

TRAIN = (("mode", "train"),)  # a key the CS231n notebook passes and GroupNorm must ignore


class TestGroupNorm(GroupNormChecks):
    layer = GroupNormLayer()
    hidden_cases = (
        GNCase("G in the middle", 2, 6, h=4, w=5, groups=2),
        GNCase("G = 1 (LayerNorm)", 3, 4, h=3, w=3, groups=1),
        GNCase("G = C (InstanceNorm)", 2, 4, h=3, w=2, groups=4),
        GNCase("a single sample", 1, 6, h=3, w=3, groups=3),
        GNCase("a single sample, G = 1", 1, 4, h=2, w=3, groups=1),
        GNCase("1×1 pixels", 4, 8, h=1, w=1, groups=2),
        GNCase("H ≠ W, many channels", 2, 16, h=2, w=5, groups=4),
        GNCase("tiny variance", 3, 4, h=2, w=3, groups=2, data="tiny_var"),
        GNCase("constant groups", 2, 6, h=2, w=2, groups=3, data="constant"),
        GNCase("large mean", 2, 4, h=3, w=3, groups=2, data="offset"),
        GNCase("gn_param eps", 2, 6, h=2, w=3, groups=3, data="tiny_var", eps=1e-3),
        GNCase("gn_param with other keys", 2, 8, h=2, w=2, groups=4, data="tiny_var", extra=TRAIN),
        GNCase("float32", 2, 8, h=4, w=4, groups=4, dtype="float32"),
    )
    gradcheck_cases = (
        GNCase("G in the middle", 2, 6, h=2, w=2, groups=3, data="narrow"),
        GNCase("G = 1, a single sample", 1, 4, h=3, w=3, groups=1, data="narrow"),
        GNCase("G = C", 2, 3, h=3, w=3, groups=3, data="narrow"),
    )
