# mistake: F.group_norm with one group over the features, which is a layer norm (red team, 2026-12-04)
# caught-by: contract
# diagnosis: dispatched PyTorch's own group_norm
import torch
import torch.nn as nn
import torch.nn.functional as F


class CustomLayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
    def forward(self, x):
        lead = x.shape[: x.dim() - len(self.normalized_shape)]
        y = F.group_norm(x.reshape(-1, 1, self.weight.numel()), 1, eps=self.eps).reshape(x.shape)
        return y * self.weight + self.bias
