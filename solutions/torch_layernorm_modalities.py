"""Reference solution: LayerNorm for images, padded text and time series, as nn.Modules.

The three layers share one piece of arithmetic, "standardize over some dims, biased variance, eps inside
the root"; what differs is which dims make up one normalized group and which dim the affine runs along:

    ImageLayerNorm       (N, C, H, W)  one group per image, over (C, H, W); weight, bias per channel
    TextLayerNorm        (N, L, D)     one group per token, over D; padded tokens output exactly 0
    TimeSeriesLayerNorm  (N, T, F)     one group per time step, over F (causal: no look at later steps)

Autograd derives every backward pass, so the only thing to get right for gradients is to keep the padded
tokens out of the output with an operation whose backward also sends them nothing (torch.where).
"""

import torch
import torch.nn as nn


def _standardize(x, dims, eps):
    """(x - mean) / sqrt(var + eps) over `dims`, the variance biased and taken from centered values."""
    mean = x.mean(dim=dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=dims, keepdim=True)  # divide by the count, as nn.LayerNorm
    return centered * torch.rsqrt(var + eps)


class ImageLayerNorm(nn.Module):
    def __init__(self, num_channels, eps=1e-5):
        super().__init__()
        self.num_channels = num_channels
        self.eps = eps
        # Per channel, like nn.GroupNorm(1, C): the layer works at any resolution with 2·C parameters.
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x):
        x_hat = _standardize(x, (1, 2, 3), self.eps)
        # A bare (C,) tensor would broadcast along W; view it as (1, C, 1, 1) to reach the channels.
        return x_hat * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class TextLayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x, mask=None):
        # Each token on its own, over its D features: no token (and no padding) sees another.
        y = _standardize(x, (-1,), self.eps) * self.weight + self.bias
        if mask is None:
            return y
        real = mask.to(torch.bool).unsqueeze(-1)  # bool or 0/1 integers (a Hugging Face attention_mask)
        # where(), not y * mask: the padded slots get an exact 0 (not bias), and where's backward sends
        # them a zero gradient, so their (finite) garbage reaches neither x.grad nor weight/bias grads.
        return torch.where(real, y, torch.zeros((), dtype=y.dtype))


class TimeSeriesLayerNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        # Statistics of step t come from step t alone, so the layer is causal and works on any length.
        return _standardize(x, (-1,), self.eps) * self.weight + self.bias
