# mistake: F.rms_norm called with torch's function modes switched off (torch._C.DisableTorchFunction) (red team, 2026-12-04)
# caught-by: contract
# diagnosis: DisableTorchFunction.*cannot vouch that the forward avoids F.rms_norm
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))

    def forward(self, x):
        with torch._C.DisableTorchFunction():
            return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)
