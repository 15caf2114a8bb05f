# mistake: torch.layer_norm inside a TorchScript function (torch.jit.script): the worker's function mode does not look inside TorchScript (red team, 2026-12-04)
# caught-by: contract
# diagnosis: attribute 'jit'.*cannot vouch that the forward avoids F.layer_norm
import torch
import torch.nn as nn


@torch.jit.script
def _ln(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.layer_norm(x, [x.shape[-1]], w, b, eps)


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
        n = len(self.normalized_shape)
        flat = x.reshape(*x.shape[: x.dim() - n], -1)
        y = _ln(flat, self.weight.reshape(-1), self.bias.reshape(-1), self.eps)
        return y.reshape(x.shape)
