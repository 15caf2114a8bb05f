# mistake: LLaMA's x.float() ... .type_as(x): a float64 input is normalized in float32 and loses precision
# caught-by: hidden, gradcheck
# diagnosis: only float32-accurate
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """The LLaMA reference code, generalised to tuple shapes."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.dims = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(self.dims, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float()).type_as(x)
        return output * self.weight
