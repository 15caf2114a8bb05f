"""Conditional LayerNorm: LayerNorm whose scale and shift are predicted from a condition. The spec is README.md
in this folder.

Grade it with `grade torch_conditional_layernorm` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """y = LayerNorm(x) * gamma_proj(condition) + beta_proj(condition), one gamma and beta per sample."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        """normalized_shape: an int D or a tuple of trailing dims; condition_size: K, the condition's features.

        Register two nn.Linear(condition_size, prod(normalized_shape)) layers, gamma_proj and beta_proj,
        initialized so the layer starts as a plain LayerNorm: gamma_proj.weight = 0, gamma_proj.bias = 1,
        beta_proj.weight = 0, beta_proj.bias = 0.
        """
        super().__init__()
        raise NotImplementedError("create gamma_proj and beta_proj, initialized to predict gamma = 1 and beta = 0")

    def forward(self, x, condition):
        """x: (batch, ..., *normalized_shape); condition: (batch, condition_size). Returns x's shape and dtype."""
        raise NotImplementedError("normalize x like LayerNorm, then scale and shift each sample with its own gamma and beta")
