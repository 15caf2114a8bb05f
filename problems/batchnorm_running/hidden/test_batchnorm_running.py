"""Hidden checks for batchnorm_running. Rows on the scorecard come from these tests and the spec's examples.

The checks shared with spatial_batchnorm (bn_param's contract, running statistics, test mode, gradients)
live in grader/kit/bn_param_checks.py; this file adds the cases, the agreement of the two backward passes
and the speed row, which times the candidate's batchnorm_backward_alt against its own batchnorm_backward.
"""

from typing import Any

import numpy as np

from grader.kit import CheckFailed, category, expect_array, rel_error
from grader.kit.bn_param_checks import (
    BnCase,
    BnLayer,
    RunningBatchNormChecks,
    describe_relative_speed,
    spec_examples_with_param_dicts,
)
from grader.kit.speed import measure_relative_speed
from grader.kit.workload import Workload

test_examples = spec_examples_with_param_dicts(__file__)


# The speed row compares the candidate with itself: the workload's batchnorm_backward is the candidate's
# batchnorm_backward_alt on one side (measure_relative_speed's `variant`) and its batchnorm_backward on the
# other, both in the candidate's worker, each given a cache from the candidate's own forward pass (untimed)
# and an upstream gradient that forward pass never saw. Both sides' results are checked against the reference's.
def alt_inputs(rng: np.random.Generator, n: int, d: int) -> tuple:
    x = 5.0 * rng.standard_normal((n, d)) + 12.0
    return x, rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal((n, d))


def train_forward(impl: Any, x: Any, gamma: Any, beta: Any, dout: Any) -> tuple:
    return impl.batchnorm_forward(x, gamma, beta, {"mode": "train"})


def backward(impl: Any, x: Any, gamma: Any, beta: Any, dout: Any, out: Any, cache: Any) -> Any:
    return impl.batchnorm_backward(dout, cache)


ALT_VS_OWN_BACKWARD = Workload(alt_inputs, backward, prepare=train_forward)


class TestBatchNormRunning(RunningBatchNormChecks):
    layer = BnLayer(forward="batchnorm_forward", backwards=("batchnorm_backward", "batchnorm_backward_alt"), ndim=2)
    contract_shape = (6, 5)
    hidden_cases = (
        BnCase("N ≠ D", (16, 7)),
        BnCase("a batch of two", (2, 9)),
        BnCase("tiny variance", (12, 6), data="tiny_var"),
        BnCase("constant columns", (6, 4), data="constant"),
        BnCase("large mean", (10, 8), data="offset"),
        BnCase("eps in bn_param", (8, 5), data="tiny_var", eps=1e-3),
        BnCase("float32", (32, 8), dtype="float32"),
        BnCase("wide batch", (5, 64)),
    )
    one_step_cases = (
        BnCase("every key given", (10, 4), eps=1e-2, momentum=0.7, running=True),
        BnCase("mode only (all defaults)", (8, 5)),
        BnCase("no running statistics yet", (9, 3), eps=1e-3, momentum=0.5),
        BnCase("running statistics given, default momentum", (7, 6), eps=1e-2, running=True),
        BnCase("large mean", (10, 4), data="offset", momentum=0.7, running=True),
        BnCase("float32", (16, 4), dtype="float32", momentum=0.8, running=True),
    )
    test_mode_cases = (
        BnCase("eps given", (9, 5), eps=1e-2, running=True),
        BnCase("default eps, small running variance", (8, 6), data="tiny_var", running=True),
        BnCase("N ≠ D", (13, 4), running=True),
        BnCase("a single example", (1, 7), running=True),
        BnCase("float32", (16, 8), dtype="float32", running=True),
    )
    gradcheck_cases = (BnCase("notebook", (4, 5), data="notebook"), BnCase("tall", (8, 3), eps=1e-3))
    speed_sizes = ((1024, 1024), (256, 1024), (64, 1024), (16, 1024))

    @category("hidden")
    def test_alt_agrees_with_backward(self, candidate: Any, rng: np.random.Generator, report: Any) -> None:
        """batchnorm_backward_alt agrees with your batchnorm_backward (the notebook's 100×500 case)"""
        inputs = self.layer.make_inputs(rng, BnCase("notebook", (100, 500), data="notebook"))
        dout = self.layer.dout(rng, inputs)
        _, cache, _, _ = self.layer.run_forward(candidate, inputs, "train")
        staged = self.layer.run_backward(candidate, "batchnorm_backward", dout, cache)
        alt = self.layer.run_backward(candidate, "batchnorm_backward_alt", dout, cache)
        errors = []
        for name, a, b, shape in zip(("dx", "dgamma", "dbeta"), staged, alt, (inputs.x.shape, (500,), (500,))):
            expect_array(a, f"batchnorm_backward: {name}", shape=shape)
            expect_array(b, f"batchnorm_backward_alt: {name}", shape=shape)
            errors.append(rel_error(a, b))
            if not errors[-1] <= 1e-7:  # NaN fails too
                raise CheckFailed(
                    f"{name} difference between batchnorm_backward and batchnorm_backward_alt is {errors[-1]:.2e} "
                    "(CS231n's relative error; the notebook expects about 1e-12): the two must compute the same gradient"
                )
        report.note("differences: " + ", ".join(f"{n} {e:.1e}" for n, e in zip(("dx", "dgamma", "dbeta"), errors)))

    @category("speed")
    def test_speed(self, worker: Any, seed: int, report: Any) -> None:
        """batchnorm_backward_alt time vs your own batchnorm_backward"""
        speed = measure_relative_speed(
            worker, "batchnorm_backward_alt", ALT_VS_OWN_BACKWARD, list(self.speed_sizes), seed=seed,
            variant={"batchnorm_backward": "batchnorm_backward_alt"},
        )
        report.speed(
            speed.figure.ratio, describe_relative_speed(speed, "batchnorm_backward_alt", "batchnorm_backward"),
            of="your batchnorm_backward's time, for batchnorm_backward_alt",
        )
