# mistake: an nn.LayerNorm with its own weight and bias is used for the normalization: extra parameters, a second scale and shift
# caught-by: contract, hidden
# diagnosis: second, fixed scale and shift
import math

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
        self.norm = nn.LayerNorm(self.shape, eps=eps)

    def forward(self, x, condition):
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.shape)) + self.shape
        return self.norm(x) * self.gamma_proj(condition).view(view) + self.beta_proj(condition).view(view)
