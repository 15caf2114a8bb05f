# variant: torch.var_mean(correction=0) for the statistics; images flattened to (N, C*H*W); text gathers the real tokens with the mask, normalizes only those and scatters them into zeros (index_put), so padding never enters a computation
import torch
import torch.nn as nn


def _rows(x2d, eps):
    var, mean = torch.var_mean(x2d, dim=1, keepdim=True, correction=0)
    return (x2d - mean) / torch.sqrt(var + eps)


class ImageLayerNorm(nn.Module):
    def __init__(self, num_channels, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x):
        n, c, h, w = x.shape
        x_hat = _rows(x.reshape(n, c * h * w), self.eps).reshape(n, c, h, w)
        return torch.addcmul(self.bias.reshape(1, c, 1, 1), x_hat, self.weight.reshape(1, c, 1, 1))


class TextLayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x, mask=None):
        d = x.shape[-1]
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool)
        real = mask.reshape(-1) != 0
        rows = x.reshape(-1, d)[real]
        out = _rows(rows, self.eps) * self.weight + self.bias
        y = x.new_zeros(x.reshape(-1, d).shape).index_put((real.nonzero().squeeze(1),), out)
        return y.reshape(x.shape)


class TimeSeriesLayerNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        f = x.shape[-1]
        return (_rows(x.reshape(-1, f), self.eps) * self.weight + self.bias).reshape(x.shape)
