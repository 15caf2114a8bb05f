"""Pre-LN vs post-LN Transformer encoders, and a training-stability experiment. The spec is README.md here.

Grade it with `grade torch_prenorm_stability` (needs torch: pip install -e '.[torch]').
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PreLayerNormTransformer(nn.Module):
    """A pre-LN Transformer encoder: num_layers layers that normalize what each sublayer reads, then a final LayerNorm."""

    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        """A stack of num_layers pre-LN encoder layers (x = x + SA(norm1(x)); x = x + FF(norm2(x))), then a final LayerNorm.

        Name the parts as nn.TransformerEncoder does: self.layers (an nn.ModuleList), each layer with
        self_attn, linear1, linear2, norm1, norm2; and self.norm, the final nn.LayerNorm(d_model).
        """
        super().__init__()
        raise NotImplementedError("build num_layers pre-LN layers and the final LayerNorm")

    def forward(self, src):
        """src: (batch, seq, d_model). Returns a tensor of src's shape and dtype."""
        raise NotImplementedError("run the layers, then the final LayerNorm")


class PostLayerNormTransformer(nn.Module):
    """A post-LN Transformer encoder (the original Transformer's): num_layers layers that normalize after each residual add."""

    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        """A stack of num_layers post-LN encoder layers (x = norm1(x + SA(x)); x = norm2(x + FF(x))), no final norm.

        Name the parts as nn.TransformerEncoder does: self.layers (an nn.ModuleList), each layer with
        self_attn, linear1, linear2, norm1, norm2.
        """
        super().__init__()
        raise NotImplementedError("build num_layers post-LN layers")

    def forward(self, src):
        """src: (batch, seq, d_model). Returns a tensor of src's shape and dtype."""
        raise NotImplementedError("run the layers")


def compare_stability(num_layers=6, steps=30, lr=1e-3, seed=0, d_model=32, nhead=4, dim_feedforward=64):
    """Train both stacks with the spec's recipe; return per-layer gradient norms at initialization and loss curves.

    Returns {"pre": {"grad_norms": [num_layers floats], "losses": [steps floats]}, "post": {... the same ...}}.
    """
    raise NotImplementedError("follow the recipe in the spec for both stacks")
