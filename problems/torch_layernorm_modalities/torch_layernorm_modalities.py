"""LayerNorm for images, padded text and time series, as PyTorch modules. The spec is README.md in this folder.

Grade it with `grade torch_layernorm_modalities` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn


class ImageLayerNorm(nn.Module):
    """LayerNorm for images (N, C, H, W): statistics per image over (C, H, W), weight and bias per channel."""

    def __init__(self, num_channels, eps=1e-5):
        """x is (N, C, H, W); one mean and variance per image over (C, H, W).

        Register `weight` (ones) and `bias` (zeros) as nn.Parameters of shape (num_channels,): one per channel.
        """
        super().__init__()
        raise NotImplementedError("register weight and bias, one per channel")

    def forward(self, x):
        """x: (N, C, H, W). Returns a tensor of x's shape and dtype."""
        raise NotImplementedError("normalize each image over (C, H, W), then scale and shift per channel")


class TextLayerNorm(nn.Module):
    """LayerNorm for padded text (N, L, D): statistics per real token over D; padded tokens give exactly 0."""

    def __init__(self, d_model, eps=1e-5):
        """x is (N, L, D); one mean and variance per real token over its D features.

        Register `weight` (ones) and `bias` (zeros) as nn.Parameters of shape (d_model,).
        """
        super().__init__()
        raise NotImplementedError("register weight and bias, one per feature")

    def forward(self, x, mask=None):
        """x: (N, L, D); mask: (N, L), True (or 1) for a real token, False (or 0) for padding; None: no padding.

        Returns a tensor of x's shape and dtype, exactly 0 at padded positions.
        """
        raise NotImplementedError("normalize each token over D; padded tokens give exactly 0")


class TimeSeriesLayerNorm(nn.Module):
    """LayerNorm for time series (N, T, F): statistics per time step over F, so the layer is causal."""

    def __init__(self, num_features, eps=1e-5):
        """x is (N, T, F); one mean and variance per time step over its F features.

        Register `weight` (ones) and `bias` (zeros) as nn.Parameters of shape (num_features,).
        """
        super().__init__()
        raise NotImplementedError("register weight and bias, one per feature")

    def forward(self, x):
        """x: (N, T, F). Returns a tensor of x's shape and dtype."""
        raise NotImplementedError("normalize each time step over its F features")
