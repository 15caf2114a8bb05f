# mistake: DiT's form gamma = 1 + gamma_proj(condition) with gamma_proj all zeros: right at initialization, a different layer once trained
# caught-by: examples, contract, hidden
# diagnosis: gamma got an extra 1
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
        for p in (*self.gamma_proj.parameters(), *self.beta_proj.parameters()):
            nn.init.zeros_(p)

    def forward(self, x, condition):
        dims = tuple(range(-len(self.shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.shape)) + self.shape
        return x_hat * (1 + self.gamma_proj(condition).view(view)) + self.beta_proj(condition).view(view)
