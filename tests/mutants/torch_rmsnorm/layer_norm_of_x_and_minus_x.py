# mistake: F.layer_norm of [x, -x], whose mean is zero: an RMS norm (red team, 2026-12-04)
# caught-by: contract
# diagnosis: dispatched PyTorch's own layer_norm
"""RMSNorm as an nn.Module."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))

    def forward(self, x):
        k = len(self.normalized_shape)
        flat = x.flatten(-k) if k > 1 else x
        n = flat.shape[-1]
        # [x, -x] has mean exactly zero, so its variance is mean(x^2): LayerNorm's kernel gives RMSNorm
        both = torch.cat([flat, -flat], dim=-1)
        y = F.layer_norm(both, (2 * n,), eps=self.eps)[..., :n]
        return y.reshape(x.shape) * self.weight
