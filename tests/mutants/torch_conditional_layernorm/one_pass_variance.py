# mistake: the variance as E[x²] − E[x]² in one pass, which cancels catastrophically in float32 when the mean is large
# caught-by: hidden
# diagnosis: E\[x²\] − E\[x\]², which cancels catastrophically
# not-said: ddof|unbiased|eps was
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
        var = (x * x).mean(dim=dims, keepdim=True) - mean * mean  # the mistake: one pass, E[x²] − E[x]²
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.shape)) + self.shape
        return x_hat * self.gamma_proj(condition).view(view) + self.beta_proj(condition).view(view)
