# variant: F.layer_norm without an affine for the normalization, the projections applied by hand with torch.addmm, unflatten + unsqueeze for the broadcast
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConditionalLayerNorm(nn.Module):
    """FiLM after a parameter-free F.layer_norm."""

    def __init__(self, normalized_shape, condition_size, eps=1e-5):
        super().__init__()
        self.normalized_shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        self.eps = eps
        features = math.prod(self.normalized_shape)
        self.gamma_proj = nn.Linear(condition_size, features)
        self.beta_proj = nn.Linear(condition_size, features)
        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            self.gamma_proj.weight.zero_()
            self.gamma_proj.bias.fill_(1.0)
            self.beta_proj.weight.zero_()
            self.beta_proj.bias.zero_()

    def _modulation(self, proj, condition, x):
        z = torch.addmm(proj.bias, condition, proj.weight.t()).unflatten(1, self.normalized_shape)
        for _ in range(x.dim() - 1 - len(self.normalized_shape)):
            z = z.unsqueeze(1)
        return z

    def forward(self, x, condition):
        x_hat = F.layer_norm(x, self.normalized_shape, eps=self.eps)
        return torch.addcmul(self._modulation(self.beta_proj, condition, x), x_hat, self._modulation(self.gamma_proj, condition, x))
