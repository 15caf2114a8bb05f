# variant: torch.var_mean(correction=0) on x flattened to (batch, positions, D), projections through einsum, reshaped back at the end
import math

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """Works on a (batch, positions, features) view of x."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        super().__init__()
        self.shape = torch.Size([normalized_shape] if isinstance(normalized_shape, int) else normalized_shape)
        self.eps = eps
        d = math.prod(self.shape)
        self.gamma_proj = nn.Linear(condition_size, d)
        self.beta_proj = nn.Linear(condition_size, d)
        nn.init.constant_(self.gamma_proj.weight, 0.0)
        nn.init.constant_(self.gamma_proj.bias, 1.0)
        nn.init.constant_(self.beta_proj.weight, 0.0)
        nn.init.constant_(self.beta_proj.bias, 0.0)

    def forward(self, x, condition):
        batch = x.shape[0]
        flat = x.reshape(batch, -1, self.shape.numel())
        var, mean = torch.var_mean(flat, dim=-1, keepdim=True, correction=0)
        x_hat = (flat - mean) / torch.sqrt(var + self.eps)
        gamma = torch.einsum("bk,dk->bd", condition, self.gamma_proj.weight) + self.gamma_proj.bias
        beta = torch.einsum("bk,dk->bd", condition, self.beta_proj.weight) + self.beta_proj.bias
        y = x_hat * gamma[:, None, :] + beta[:, None, :]
        return y.reshape(x.shape)
