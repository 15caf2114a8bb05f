# mistake: eps is added to the root mean square, outside the square root: x / (rms + eps)
# caught-by: examples, hidden
# diagnosis: eps was added outside the square root
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """RMSNorm with eps outside the square root."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        rms = x.pow(2).mean(dim=self.dims, keepdim=True).sqrt()
        return x / (rms + self.eps) * self.weight
