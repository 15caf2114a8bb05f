"""Hidden checks for layernorm_modalities. Rows on the scorecard come from these tests and the spec's examples.

Each layout is a `NormLayerChecks` class (contract, hidden, gradcheck rows, through `ModalityChecks`); one
speed row times all six functions together.
"""

import numpy as np

from grader.kit import CheckFailed, category, expect_array, spec_examples, unpack
from grader.kit.compare import fmt_index
from grader.kit.modalities import ModalityChecks, ModalityNorm, measure_all_layers, shaped

test_examples = spec_examples(__file__)


class TestImageLayerNorm(ModalityChecks):
    layer = ModalityNorm(forward="image_layernorm_forward", backward="image_layernorm_backward", kind="image")
    contract_size = (3, 4)  # x is (3, 4, 2, 3)
    hidden_cases = (
        shaped("N, C, H, W all different", 3, 4, 5, 6),
        shaped("W = C", 2, 4, 3, 4),
        shaped("one channel", 4, 1, 3, 3),
        shaped("1×1 images", 5, 8, 1, 1),
        shaped("tiny variance", 3, 3, 4, 2, data="tiny_var"),
        shaped("constant images", 2, 3, 2, 2, data="constant"),
        shaped("large mean", 3, 2, 3, 4, data="offset"),
        shaped("non-default eps", 2, 3, 2, 4, data="tiny_var", eps=1e-3),
        shaped("float32", 4, 8, 4, 4, dtype="float32"),
    )
    gradcheck_cases = (shaped("small", 2, 3, 2, 3), shaped("W = C", 2, 2, 3, 2))


class TestTextLayerNorm(ModalityChecks):
    layer = ModalityNorm(forward="text_layernorm_forward", backward="text_layernorm_backward", kind="text")
    contract_size = (3, 5)  # x is (3, 4, 5), the second sequence padded
    hidden_cases = (
        shaped("ragged sequences", 4, 6, 8),
        shaped("no padding", 2, 5, 7, padding="none"),
        shaped("a fully padded sequence", 3, 4, 6, padding="empty"),
        shaped("zeros in the padding", 3, 5, 4, padding="zeros"),
        shaped("tiny variance", 3, 6, 16, data="tiny_var"),
        shaped("constant tokens", 2, 4, 5, data="constant"),
        shaped("large mean", 3, 5, 12, data="offset"),
        shaped("non-default eps", 2, 6, 10, data="tiny_var", eps=1e-3),
        shaped("float32", 4, 8, 32, dtype="float32"),
        shaped("long sequences", 2, 64, 16),
    )
    gradcheck_cases = (shaped("ragged", 2, 4, 5), shaped("a fully padded sequence", 3, 3, 4, padding="empty"))

    @category("contract")
    def test_padding_is_exactly_zero(self, candidate, rng):
        """padded positions: y and dx exactly 0"""
        inputs = self.layer.make_inputs(rng, shaped("padding", 3, 5, 6))
        y, cache = self.layer.call_forward(candidate, inputs)
        y = expect_array(y, "y", shape=inputs.x.shape)
        dout = rng.standard_normal(inputs.x.shape)
        dx = expect_array(self.layer.call_backward(candidate, dout, cache)[0], "dx", shape=inputs.x.shape)
        for name, value in (("y", y), ("dx", dx)):
            padded = value[~inputs.mask]
            if np.any(padded != 0):
                seq, pos = np.argwhere(~inputs.mask)[int(np.argmax(np.any(padded != 0, axis=1)))]
                inverted = " — and it is 0 at every real token: is the mask read the wrong way round? True marks a real token" if not np.any(value[inputs.mask]) else ""
                raise CheckFailed(
                    f"{name} is not 0 at padded position {fmt_index((seq, pos))} (sequence {seq}, token {pos}, mask False): "
                    f"got {np.array2string(value[seq, pos], precision=4, threshold=8)}. Padded tokens are not part of the "
                    f"sequence: their output and their gradient are exactly 0, whatever the padding holds{inverted}"
                )

    @category("contract")
    def test_mask_not_modified(self, candidate, rng):
        """the mask is not modified in place"""
        inputs = self.layer.make_inputs(rng, shaped("padding", 3, 5, 6))
        args, kwargs = self.layer.forward_args(inputs)
        result = getattr(candidate, self.layer.forward).run(*args, return_args=True, **kwargs)
        unpack(result.value, self.layer.outputs, self.layer.forward)
        after = (result.args_after or [None] * 4)[3]
        if not (isinstance(after, np.ndarray) and after.dtype == inputs.mask.dtype and np.array_equal(after, inputs.mask)):
            raise CheckFailed(
                "text_layernorm_forward modified its mask argument in place; the caller still needs it (work on a copy)"
            )


class TestTimeSeriesLayerNorm(ModalityChecks):
    layer = ModalityNorm(forward="timeseries_layernorm_forward", backward="timeseries_layernorm_backward", kind="timeseries")
    contract_size = (3, 4)  # x is (3, 5, 4)
    hidden_cases = (
        shaped("N, T, F all different", 3, 7, 5),
        shaped("one time step", 4, 1, 6),
        shaped("one feature", 2, 5, 1),
        shaped("tiny variance", 2, 6, 12, data="tiny_var"),
        shaped("large mean", 3, 4, 9, data="offset"),
        shaped("non-default eps", 2, 5, 8, data="tiny_var", eps=1e-3),
        shaped("float32", 4, 16, 24, dtype="float32"),
    )
    gradcheck_cases = (shaped("small", 2, 4, 5),)


@category("speed")
def test_speed(worker, seed, report):
    """the six functions: time vs reference"""
    figure = measure_all_layers(worker, seed)
    report.speed(figure.ratio, figure.describe())
