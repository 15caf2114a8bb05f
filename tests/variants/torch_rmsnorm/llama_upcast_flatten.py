# variant: LLaMA's structure (_norm, then type_as), upcasting only below float32, with the normalized dims flattened into one
import torch
import torch.nn as nn


class RMSNorm(nn.Module):
    """Flattens the normalized dims, computes in at least float32, casts back."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = torch.Size(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))

    def _norm(self, x):
        flat = x.reshape(*x.shape[: x.dim() - len(self.normalized_shape)], -1)
        normed = flat * torch.rsqrt(flat.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.reshape(x.shape)

    def forward(self, x):
        compute = torch.promote_types(x.dtype, torch.float32)  # never lower than x's own precision
        return self._norm(x.to(compute)).type_as(x) * self.weight
