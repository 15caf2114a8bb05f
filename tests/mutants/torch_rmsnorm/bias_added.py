# mistake: a learned bias is added, as in LayerNorm; RMSNorm has no shift
# caught-by: contract, hidden
# diagnosis: RMSNorm only rescales
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """RMSNorm with an extra bias."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * self.weight + self.bias
