# mistake: F.layer_norm run inside a Tensor.apply_ callback, where the function mode does not look (red team, 2026-12-04)
# caught-by: contract
# diagnosis: attribute 'apply_'.*cannot vouch
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
        box = []

        def inside(value):
            box.append(F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps))
            return value

        torch.zeros(1).apply_(inside)
        return box[0]
