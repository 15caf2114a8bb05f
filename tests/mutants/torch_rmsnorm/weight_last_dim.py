# mistake: weight has shape (normalized_shape[-1],) for a tuple normalized_shape
# caught-by: contract, hidden
# diagnosis: weight has shape
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """A weight per feature of the last dim only."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape[-1]))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * self.weight
