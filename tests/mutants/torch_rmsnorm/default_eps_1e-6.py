# mistake: the default eps is 1e-6 (LLaMA's) instead of the spec's 1e-5
# caught-by: examples, contract
# diagnosis: eps was 1e-06 instead of 1e-05
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """Right formula, LLaMA's default eps."""

    def __init__(self, normalized_shape, eps=1e-6):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * self.weight
