# mistake: eps is never used: x / sqrt(mean(x**2)) divides by zero on an all-zero sample
# caught-by: examples, contract, hidden
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """Forgets eps."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True)) * self.weight
