# mistake: the root mean square is detached from the graph, so dx misses the path through the statistic
# caught-by: examples, hidden, gradcheck
# diagnosis: no gradient flows through the root mean square
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """rms treated as a constant in the backward pass."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        rms = torch.sqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps).detach()
        return x / rms * self.weight
