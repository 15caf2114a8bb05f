"""Hidden checks for spatial_batchnorm. Rows on the scorecard come from these tests and the spec's examples.

The checks (bn_param's contract, running statistics, test mode, gradients) are shared with batchnorm_running
in grader/kit/bn_param_checks.py; this file gives the (N, C, H, W) cases and the speed workload. Shapes keep
N, C, H and W distinct, so a transpose or a reduction over the wrong axes cannot pass by coincidence;
"W = C" is there for gamma broadcast along the last axis instead of the channel axis.
"""

from typing import Any

import numpy as np

from grader.kit.bn_param_checks import BnCase, BnLayer, RunningBatchNormChecks, spec_examples_with_param_dicts
from grader.kit.speed import Probe, Probes
from grader.kit.workload import Workload

test_examples = spec_examples_with_param_dicts(__file__)


def speed_inputs(rng: np.random.Generator, n: int, c: int, h: int | None = None, w: int | None = None) -> tuple:
    """Probes arrive as (rows, columns): rows are pixels over the batch, columns channels (see SPEED_PROBES)."""
    if h is None:
        n, h, w = max(n // 16, 1), 4, 4
    return rng.random((n, c, h, w)) * 4.0 - 1.5, rng.uniform(0.5, 1.5, c), rng.uniform(-1.0, 1.0, c)


def speed_run(impl: Any, x: Any, gamma: Any, beta: Any) -> tuple:
    out, cache = impl.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    return out, impl.spatial_batchnorm_backward(out, cache)


SPEED_PROBES = Probes(
    Probe((256, 256), label="16×256×4×4"),
    (
        Probe((4096, 16), "a loop over images or pixels?", "256×16×4×4"),
        Probe((16, 4096), "a loop over channels?", "1×4096×4×4"),
    ),
)


class TestSpatialBatchNorm(RunningBatchNormChecks):
    layer = BnLayer(forward="spatial_batchnorm_forward", backwards=("spatial_batchnorm_backward",), ndim=4)
    contract_shape = (2, 3, 4, 5)
    hidden_cases = (
        BnCase("N, C, H, W all different", (3, 4, 5, 2)),
        BnCase("a batch of one image", (1, 3, 4, 5)),
        BnCase("1×1 images", (8, 3, 1, 1)),
        BnCase("W = C", (3, 4, 2, 4)),
        BnCase("tiny variance", (4, 3, 3, 2), data="tiny_var"),
        BnCase("constant channels", (2, 3, 3, 4), data="constant"),
        BnCase("large mean", (3, 2, 4, 3), data="offset"),
        BnCase("eps in bn_param", (2, 3, 4, 3), data="tiny_var", eps=1e-3),
        BnCase("float32", (4, 5, 3, 6), dtype="float32"),
        BnCase("many channels", (2, 32, 3, 2)),
    )
    one_step_cases = (
        BnCase("every key given", (3, 4, 2, 5), eps=1e-2, momentum=0.7, running=True),
        BnCase("mode only (all defaults)", (2, 3, 4, 5)),
        BnCase("no running statistics yet", (4, 2, 3, 2), eps=1e-3, momentum=0.5),
        BnCase("running statistics given, default momentum", (2, 5, 3, 4), eps=1e-2, running=True),
        BnCase("large mean", (3, 4, 2, 3), data="offset", momentum=0.7, running=True),
        BnCase("float32", (4, 3, 5, 2), dtype="float32", momentum=0.8, running=True),
    )
    test_mode_cases = (
        BnCase("eps given", (3, 4, 5, 2), eps=1e-2, running=True),
        BnCase("default eps, small running variance", (2, 3, 4, 5), data="tiny_var", running=True),
        BnCase("a single image", (1, 5, 3, 2), running=True),
        BnCase("W = C", (2, 3, 4, 3), running=True),
        BnCase("float32", (4, 6, 3, 2), dtype="float32", running=True),
    )
    gradcheck_cases = (BnCase("notebook", (2, 3, 2, 3), data="notebook"), BnCase("one image", (1, 2, 3, 5), eps=1e-3))
    speed_sizes = ((64, 64, 16, 16), (16, 64, 16, 16), (4, 64, 16, 16), (1, 64, 16, 16))
    speed_label = "spatial_batchnorm_forward/spatial_batchnorm_backward"
    speed_probes = SPEED_PROBES

    def speed_workload(self) -> Workload:
        return Workload(speed_inputs, speed_run)
