# mistake: Gemma's offset convention: the weight starts at zeros and the scale is 1 + weight (the spec's weight starts at ones and is the scale itself)
# caught-by: contract, hidden
# diagnosis: the scale was 1 \+ weight
# not-said: bias|mean was subtracted|weight was not applied
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """RMSNorm as Gemma writes it: a zero-initialized weight, applied as (1 + weight)."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=self.dims, keepdim=True) + self.eps) * (1 + self.weight)
