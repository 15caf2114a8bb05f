# variant: images moved to channels-last (N, H, W, C) so the per-channel affine is a plain broadcast over the last dim; statistics written out as sums divided by the count; text zeroes the padding with masked_fill on a bool mask
import torch
import torch.nn as nn


class ImageLayerNorm(nn.Module):
    def __init__(self, num_channels, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x):
        z = x.permute(0, 2, 3, 1)  # (N, H, W, C)
        count = z[0].numel()
        mean = z.sum(dim=(1, 2, 3), keepdim=True) / count
        dev = z - mean
        var = dev.pow(2).sum(dim=(1, 2, 3), keepdim=True) / count
        y = dev / (var + self.eps).sqrt() * self.weight + self.bias
        return y.permute(0, 3, 1, 2)


class TextLayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x, mask=None):
        d = x.shape[-1]
        mean = x.sum(-1, keepdim=True) / d
        dev = x - mean
        var = dev.pow(2).sum(-1, keepdim=True) / d
        y = dev / (var + self.eps).sqrt() * self.weight + self.bias
        if mask is None:
            return y
        return y.masked_fill(mask.bool().logical_not().unsqueeze(-1), 0.0)


class TimeSeriesLayerNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        f = x.shape[-1]
        mean = x.sum(-1, keepdim=True) / f
        dev = x - mean
        var = dev.pow(2).sum(-1, keepdim=True) / f
        return dev / (var + self.eps).sqrt() * self.weight + self.bias
