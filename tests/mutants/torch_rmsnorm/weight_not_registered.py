# mistake: weight is a plain tensor attribute, not an nn.Parameter: it is not trained and not in the state dict
# caught-by: contract, hidden
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """weight stored as a plain tensor."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = torch.ones(shape)

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * self.weight
