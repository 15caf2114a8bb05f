"""What the rmsnorm and groupnorm suites share: the gradient-shape contract row and a steadier gradcheck.

Both layers return parameter gradients whose shape is a classic trap (RMSNorm's dgamma is (D,), not the
(1, D) of keepdims=True; GroupNorm's dgamma and dbeta are (1, C, 1, 1), not the (C,) of a plain sum), so
their contract row says which shape was expected, what came back and how to get from one to the other.

(The re-check of a gradient-check near miss that first lived here is now NormLayerChecks' own.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.kit.compare import expect_array
from grader.kit.layers import NormLayerChecks, category, cases
from grader.outcomes import CheckFailed


class ShapedGradientChecks(NormLayerChecks):
    """NormLayerChecks whose gradient-shape row explains the expected shape (the layer, an AffineNorm
    subclass, provides `grad_shape_hint(name, got, want, x_shape) -> str`)."""

    @category("contract")
    @cases("contract_cases")
    def test_backward_returns_gradients_shaped_like_inputs(self, case: Any, candidate: Any, rng: np.random.Generator) -> None:
        """backward returns a gradient per input, in its shape"""
        inputs = self.layer.make_inputs(rng, case)
        _, cache = self.layer.call_forward(candidate, inputs)
        grads = self.layer.call_backward(candidate, rng.standard_normal(inputs.x.shape).astype(inputs.x.dtype), cache)
        for name, grad, param in zip(self.layer.grads, grads, self.layer.params):
            want = getattr(inputs, param).shape
            if isinstance(grad, np.ndarray) and not isinstance(grad, np.matrix) and grad.shape != want:
                raise CheckFailed(
                    f"{name}: expected shape {want} (the shape of {param}), got {grad.shape}"
                    f"{self.layer.grad_shape_hint(name, grad.shape, want, inputs.x.shape)}"
                )
            expect_array(grad, name, shape=want)
