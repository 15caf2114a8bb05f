# mistake: torch.layer_norm in TorchScript, reached through t = torch (red team, 2026-12-04)
# caught-by: contract
# diagnosis: attribute 'jit'.*cannot vouch
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
        return _ln(x, list(self.normalized_shape), self.weight, self.bias, self.eps)


t = torch


def _ln_py(x: torch.Tensor, shape: list[int], w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.layer_norm(x, shape, w, b, eps)


_ln = t.jit.script(_ln_py)
