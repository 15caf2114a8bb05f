"""Reference solution: conditional LayerNorm, gamma and beta predicted per sample from a condition."""

import math

import torch
import torch.nn as nn


class ConditionalLayerNorm(nn.Module):
    """LayerNorm over the last len(normalized_shape) dims with a scale and shift predicted from `condition`."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        features = math.prod(self.normalized_shape)
        self.gamma_proj = nn.Linear(condition_size, features)
        self.beta_proj = nn.Linear(condition_size, features)
        # Start as a plain LayerNorm whatever the condition: gamma = 0 @ c + 1 = 1, beta = 0. The weights still
        # get gradients at step 0 (dW = (dy * x_hat)^T c), so the condition's influence grows from there.
        nn.init.zeros_(self.gamma_proj.weight)
        nn.init.ones_(self.gamma_proj.bias)
        nn.init.zeros_(self.beta_proj.weight)
        nn.init.zeros_(self.beta_proj.bias)

    def forward(self, x, condition):
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dim=dims, keepdim=True)  # biased, as nn.LayerNorm
        x_hat = centered * torch.rsqrt(var + self.eps)
        # One gamma and beta per sample, (batch, D) -> (batch, 1, ..., 1, *normalized_shape): shared by the
        # sample's time steps (or pixels), never lined up with another dim of x.
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.normalized_shape)) + self.normalized_shape
        gamma = self.gamma_proj(condition).view(view)
        beta = self.beta_proj(condition).view(view)
        return x_hat * gamma + beta
