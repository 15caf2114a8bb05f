# mistake: the mean square is taken over dim 0 (the batch), as BatchNorm would
# caught-by: examples, hidden
# diagnosis: across the batch
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """Statistics down the batch."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=0, keepdim=True) + self.eps) * self.weight
