"""The toolkit hidden suites are written with: what two or more problems' suites share.

Exported here, for every suite: comparisons with a diagnosis (compare), numerical gradients (gradcheck),
spec examples as checks (examples), and the checks of a normalization layer with gamma and beta (layers).
The modules beside them serve families of problems:

- mistakes, ln_mistakes: models of the common mistakes, to name the one a wrong answer matches;
- bn_param_checks: the CS231n batch norms with a bn_param dict (batchnorm_running, spatial_batchnorm);
- ln_module: LayerNorm over trailing dimensions as a module (layernorm_module, conditional_layernorm);
- modalities: images, time series and masked text (layernorm_modalities and its PyTorch twin);
- shaped_gradients: the gradient-shape contract (rmsnorm, groupnorm);
- transformer_checks, encoder_layer: the Transformer block's parts (NumPy and PyTorch tracks);
- torch_kit, torch_norm_mistakes: the PyTorch track's driving of worker-held modules, and its mistakes;
- loss_trend, sparkline: how a training loss or a series is described in a message;
- speed, timing, workload: the speed row.

activation_viz_checks and activation_viz_render serve one problem (torch_activation_viz) but stay here: the
scorecard draws its picture through them, and the CLI imports views from grader.kit only.
What only one problem's suite uses lives beside that suite, in problems/<slug>/hidden/.
"""

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
