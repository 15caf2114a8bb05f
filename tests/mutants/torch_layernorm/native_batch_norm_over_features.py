# mistake: torch.native_batch_norm over the features of a reshaped input, which is a layer norm (red team, 2026-12-04)
# caught-by: contract
# diagnosis: dispatched PyTorch's own native_batch_norm
import torch
import torch.nn as nn


class CustomLayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        rows = x.reshape(1, -1, self.weight.numel())
        y = torch.native_batch_norm(rows, None, None, None, None, True, 0.0, self.eps)[0]
        return y.reshape(x.shape) * self.weight + self.bias
