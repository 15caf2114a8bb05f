# mistake: a Tensor subclass whose __torch_function__ runs F.layer_norm, where the function mode does not look (red team, 2026-12-04)
# caught-by: contract
# diagnosis: __torch_function__.*cannot vouch
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
        box = x.as_subclass(_Boxed)
        box.args = (x, self.normalized_shape, self.weight, self.bias, self.eps)
        return -box


class _Boxed(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return F.layer_norm(*args[0].args)
