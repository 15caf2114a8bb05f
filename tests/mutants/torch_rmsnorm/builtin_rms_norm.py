# mistake: calls PyTorch's own F.rms_norm instead of writing the normalization
# caught-by: contract
# diagnosis: dispatched PyTorch's own rms_norm
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    """A thin wrapper over F.rms_norm."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        self.shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape))

    def forward(self, x):
        return F.rms_norm(x, self.shape, self.weight, self.eps)
