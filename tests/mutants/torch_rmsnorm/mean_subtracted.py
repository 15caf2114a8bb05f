# mistake: the mean is subtracted before dividing (that is LayerNorm without a bias, not RMSNorm)
# caught-by: examples, hidden
# diagnosis: the mean was subtracted first
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """RMSNorm that centers its input first."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        centered = x - x.mean(dim=self.dims, keepdim=True)
        return centered / torch.sqrt(centered.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * self.weight
