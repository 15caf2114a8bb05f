# mistake: the input is scaled in place (x.mul_), so the caller's tensor changes
# caught-by: contract, hidden
# diagnosis: modified its input x in place
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """Saves an allocation by reusing x."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        rstd = torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps)
        return x.mul_(rstd).mul_(self.weight)
