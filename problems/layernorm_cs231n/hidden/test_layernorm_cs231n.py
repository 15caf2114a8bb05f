"""Hidden checks for layernorm_cs231n. Rows on the scorecard come from these tests and the spec's examples.

Every case passes ln_param explicitly: with 'eps' or without it (then 1e-5 applies), and some with the
notebook's extra {'mode': 'train'} key.
"""

import numpy as np

from grader.kit import CheckFailed, NormLayerChecks, category, expect_array, unpack
from grader.kit import spec_examples
from ln_param import ParamCase, ParamDictNorm

test_examples = spec_examples(__file__)

TRAIN = (("mode", "train"),)


class TestLayerNormCS231n(NormLayerChecks):
    layer = ParamDictNorm(forward="layernorm_forward", backward="layernorm_backward", upstream="dout")
    hidden_cases = (
        ParamCase("N < D", 4, 11),
        ParamCase("N > D", 13, 5, extra=TRAIN),
        ParamCase("a single example", 1, 9),
        ParamCase("one feature", 5, 1),
        ParamCase("tiny variance", 5, 16, data="tiny_var"),
        ParamCase("tiny variance", 6, 10, data="tiny_var", eps=1e-3, extra=TRAIN),
        ParamCase("constant rows", 4, 6, data="constant"),
        ParamCase("large mean", 6, 12, data="offset"),
        ParamCase("non-default eps", 5, 8, eps=0.5),
        ParamCase("float32", 8, 32, dtype="float32", extra=TRAIN),
    )
    gradcheck_cases = (
        ParamCase("notebook", 4, 5),
        ParamCase("tall", 7, 3, extra=TRAIN),
        ParamCase("eps given", 3, 6, eps=0.5),
    )

    @category("contract")
    def test_ln_param_is_reusable(self, candidate, rng):
        """the same ln_param dict gives the same result twice"""
        inputs = self.layer.make_inputs(rng, ParamCase("reuse", 4, 6, eps=0.5, extra=TRAIN))
        args, kwargs = self.layer.forward_args(inputs)
        # Two calls in the worker with one and the same dict (a zero perturbation leaves x as it is), as a
        # network does when it keeps one ln_param per layer for the whole training run.
        first, second = getattr(candidate, self.layer.forward).batch(args, kwargs, [(0, 0, 0.0), (0, 0, 0.0)])
        outs = [expect_array(unpack(v, self.layer.outputs, self.layer.forward)[0], "out") for v in (first, second)]
        if outs[0].shape != outs[1].shape or not np.allclose(outs[0], outs[1], rtol=1e-12, atol=0):
            # What became of the dict is measured on a call of its own, before anything is said about it.
            sent = args[3]
            after = getattr(candidate, self.layer.forward).run(*args, return_args=True).args_after
            now = after[3] if after and len(after) > 3 else None
            cause = (
                f"layernorm_forward changed the dict: it went in as {sent!r} and came back as {now!r}"
                if isinstance(now, dict) and now != sent
                else "the dict came back unchanged, so the difference comes from state kept between calls (a global, "
                "a function attribute)"
            )
            raise CheckFailed(
                f"a second call with the same ln_param dict ({sent!r}) gave a different out; {cause}. A network keeps one "
                "ln_param per layer for every iteration, so read it with ln_param.get('eps', 1e-5) and leave it as it is"
            )
