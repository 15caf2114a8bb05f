"""CustomLayerNorm: Layer Normalization as a PyTorch module. The spec is README.md in this folder.

Grade it with `grade torch_layernorm` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn


class CustomLayerNorm(nn.Module):
    """LayerNorm over the last len(normalized_shape) dims, with nn.LayerNorm's parameters (weight, bias)."""

    def __init__(self, normalized_shape, eps=1e-5):
        """normalized_shape: an int D (means (D,)) or a tuple of the trailing dims to normalize over.

        Register `weight` (ones) and `bias` (zeros) as nn.Parameters of that shape.
        """
        super().__init__()
        raise NotImplementedError("register weight and bias")

    def forward(self, x):
        """x: (..., *normalized_shape). Returns the normalized, scaled and shifted tensor, x's shape and dtype."""
        raise NotImplementedError("normalize over the last len(normalized_shape) dims")
