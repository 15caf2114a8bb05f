# mistake: image statistics over (H, W) per channel (InstanceNorm) instead of over (C, H, W) per image
# caught-by: examples, hidden
# diagnosis: InstanceNorm
import torch
import torch.nn as nn
import torch.nn.functional as F


def standardize(x, dims, eps):
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


class ImageLayerNorm(nn.Module):
    def __init__(self, num_channels, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x):
        x_hat = standardize(x, (2, 3), self.eps)
        return x_hat * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class TextLayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x, mask=None):
        y = standardize(x, (-1,), self.eps) * self.weight + self.bias
        if mask is None:
            return y
        return torch.where(mask.bool()[..., None], y, torch.zeros_like(y))


class TimeSeriesLayerNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        return standardize(x, (-1,), self.eps) * self.weight + self.bias
