# mistake: F.rms_norm of the centred input, which is a layer norm (red team, 2026-12-04)
# caught-by: contract
# diagnosis: dispatched PyTorch's own rms_norm
"""LayerNorm as an nn.Module."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CustomLayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x):
        dims = tuple(range(-len(self.normalized_shape), 0))
        centered = x - x.mean(dim=dims, keepdim=True)
        # the RMS of centered values is the standard deviation: PyTorch's RMSNorm kernel does the rest
        return F.rms_norm(centered, self.normalized_shape, self.weight, self.eps) + self.bias
