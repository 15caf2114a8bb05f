# variant: the root mean square from torch.linalg.vector_norm (norm / sqrt(count)), a division instead of rsqrt
import math

import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """rms² = ||x||² / n, kept inside the square root with eps."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        self.register_parameter("weight", nn.Parameter(torch.ones(*shape)))
        self.dims = [-(i + 1) for i in range(len(shape))]
        self.count = math.prod(shape)
        self.eps = eps

    def forward(self, x):
        norm = torch.linalg.vector_norm(x, ord=2, dim=self.dims, keepdim=True)
        return self.weight * (x / torch.sqrt(norm.square() / self.count + self.eps))
