"""RMSNorm: root mean square normalization as a PyTorch module. The spec is README.md in this folder.

Grade it with `grade torch_rmsnorm` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x ** 2 over the normalized dims) + eps) * weight; a drop-in for nn.RMSNorm."""

    def __init__(self, normalized_shape, eps=1e-5):
        """normalized_shape: an int D (means (D,)) or a tuple of the trailing dims to normalize over.

        Register `weight` (ones, shape normalized_shape as a tuple) as an nn.Parameter; there is no bias.
        """
        super().__init__()
        raise NotImplementedError("register weight")

    def forward(self, x):
        """x: (..., *normalized_shape). Returns the normalized, rescaled tensor, x's shape and dtype."""
        raise NotImplementedError("divide x by its root mean square over the last len(normalized_shape) dims")
