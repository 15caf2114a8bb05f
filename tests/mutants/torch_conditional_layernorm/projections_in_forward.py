# mistake: the linear layers are created inside forward: new random weights on every call, nothing registered or trained
# caught-by: examples, contract, hidden
import math

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """A conditional LayerNorm with one mistake (see the header)."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        super().__init__()
        self.shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.condition_size = condition_size
        self.eps = eps

    def forward(self, x, condition):
        dims = tuple(range(-len(self.shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.shape)) + self.shape
        gamma_proj = nn.Linear(self.condition_size, math.prod(self.shape))
        beta_proj = nn.Linear(self.condition_size, math.prod(self.shape))
        return x_hat * gamma_proj(condition).view(view) + beta_proj(condition).view(view)
