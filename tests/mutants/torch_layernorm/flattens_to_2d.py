# mistake: written for (batch, features) only: the output is flattened to 2-D, so (batch, time, D) comes back (batch, time*D)
# caught-by: examples, contract, hidden
# diagnosis: returned shape \(2, 48\); expected \(2, 3, 16\)
import torch
import torch.nn as nn


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
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
        return y.reshape(x.shape[0], -1)
