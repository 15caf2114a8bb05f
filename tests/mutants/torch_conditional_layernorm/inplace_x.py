# mistake: x is centered in place (x.sub_), so the caller's tensor changes
# caught-by: contract, hidden
# diagnosis: modified its input x in place
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
        x = x.sub_(x.mean(dim=dims, keepdim=True))
        x_hat = x / torch.sqrt((x * x).mean(dim=dims, keepdim=True) + self.eps)
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.shape)) + self.shape
        return x_hat * self.gamma_proj(condition).view(view) + self.beta_proj(condition).view(view)
