# mistake: every sample is modulated with the first sample's condition (condition[:1])
# caught-by: hidden
# diagnosis: first sample's condition
import math

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """A conditional LayerNorm with one mistake (see the header)."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        super().__init__()
        self.shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        d = math.prod(self.shape)
        self.gamma_proj = nn.Linear(condition_size, d)
        self.beta_proj = nn.Linear(condition_size, d)
        nn.init.zeros_(self.gamma_proj.weight)
        nn.init.ones_(self.gamma_proj.bias)
        nn.init.zeros_(self.beta_proj.weight)
        nn.init.zeros_(self.beta_proj.bias)

    def forward(self, x, condition):
        dims = tuple(range(-len(self.shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        view = (1,) * (x.dim() - len(self.shape)) + self.shape
        first = condition[:1]
        return x_hat * self.gamma_proj(first).view(view) + self.beta_proj(first).view(view)
