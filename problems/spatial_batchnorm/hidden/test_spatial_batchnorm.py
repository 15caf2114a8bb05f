"""Hidden checks for spatial_batchnorm. Rows on the scorecard come from these tests and the spec's examples.

The checks (bn_param's contract, running statistics, test mode, gradients) are shared with batchnorm_running
in grader/kit/bn_param_checks.py; this file gives the (N, C, H, W) cases and the speed workload. Shapes keep
N, C, H and W distinct, so a transpose or a reduction over the wrong axes cannot pass by coincidence;
"W = C" is there for gamma broadcast along the last axis instead of the channel axis.
"""

from grader.kit.bn_param_checks import BnCase, BnLayer, RunningBatchNormChecks, spec_examples_with_param_dicts
from grader.kit.speed import SpeedFigure

test_examples = spec_examples_with_param_dicts(__file__)

# Shape probes arrive as (rows, columns): here rows are pixels over the batch and columns are channels,
# so (4096, 16) is 256 images of 16 channels of 4×4 pixels, and (16, 4096) one image of 4096 channels.
SPEED_WORKLOAD = """
def setup(rng, n, c, h=None, w=None):
    if h is None:
        n, h, w = max(n // 16, 1), 4, 4
    x = rng.random((n, c, h, w)) * 4.0 - 1.5
    return x, rng.uniform(0.5, 1.5, c), rng.uniform(-1.0, 1.0, c), x * 0.5

def run(impl, x, gamma, beta, dout):
    out, cache = impl.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    impl.spatial_batchnorm_backward(dout, cache)
"""


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

    def speed_source(self) -> str:
        return SPEED_WORKLOAD

    def describe_speed(self, figure: SpeedFigure) -> str:
        """The shared speed text names the probes by their (rows, columns) size; say what they are here."""
        return (
            figure.describe()
            .replace("at 4096×16 (a loop over rows?)", "at 256×16×4×4 (a loop over images or pixels?)")
            .replace("at 16×4096 (a loop over columns?)", "at 1×4096×4×4 (a loop over channels?)")
        )
