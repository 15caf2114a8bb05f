# mistake: gamma and beta are always unsqueezed to (batch, 1, D), as if x were (batch, time, D): a (batch, D) input broadcasts to (batch, batch, D)
# caught-by: examples, contract, hidden
# diagnosis: expected x.s shape \(5, 8\): gamma and beta got a middle dim
import math

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """Written for sequences only."""

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
        gamma = self.gamma_proj(condition).view(-1, *self.shape).unsqueeze(1)
        beta = self.beta_proj(condition).view(-1, *self.shape).unsqueeze(1)
        return x_hat * gamma + beta
