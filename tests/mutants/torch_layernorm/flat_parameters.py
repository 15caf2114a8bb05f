# mistake: weight and bias flattened to (prod(shape),) and reshaped in forward: wrong shapes for nn.LayerNorm's state dict
# caught-by: contract, examples
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
        n = 1
        for d in self.normalized_shape:
            n *= d
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = (x - mean).pow(2).mean(dim=dims, keepdim=True)
        w, b = self.weight.view(self.normalized_shape), self.bias.view(self.normalized_shape)
        return (x - mean) / torch.sqrt(var + self.eps) * w + b
