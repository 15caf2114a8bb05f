# mistake: x is divided by its L2 norm (x.norm(...)): the sum of squares, the 1/D of the mean is missing
# caught-by: examples, hidden
# diagnosis: L2 norm
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """'RMS' computed with Tensor.norm."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        sum_sq = (x * x).sum(dim=self.dims, keepdim=True)
        return x / torch.sqrt(sum_sq + self.eps) * self.weight
