# mistake: x.pow(2).mean() without a dim: one mean square over the whole batch
# caught-by: examples, hidden
# diagnosis: over the whole tensor|across the batch
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """The statistic is shared by every sample of the batch."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean() + self.eps) * self.weight
