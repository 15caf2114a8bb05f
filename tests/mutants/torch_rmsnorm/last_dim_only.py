# mistake: the mean square is always taken over the last dim, even for a tuple normalized_shape
# caught-by: examples, hidden
# diagnosis: only the last dim was normalized
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """The common LLaMA-style x.pow(2).mean(-1), whatever normalized_shape says."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
