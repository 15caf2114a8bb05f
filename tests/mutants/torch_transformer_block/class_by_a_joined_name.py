# mistake: nn.TransformerEncoderLayer's methods, its class looked up by a name joined at run time through a helper's self parameter (red team, 2026-12-04)
# caught-by: contract
# diagnosis: getattr\(\) with a name computed at run time.*cannot vouch
"""A Transformer encoder block, pre-LN or post-LN."""
import torch.nn as nn
import torch.nn.functional as F


def _lookup(self, *parts):
    return getattr(self, "".join(parts))


_Layer = _lookup(nn, "Trans", "formerEncoderLayer")


class TransformerEncoderBlock(nn.Module):
    forward = _Layer.forward
    _sa_block = _Layer._sa_block
    _ff_block = _Layer._ff_block

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first
        self.activation_relu_or_gelu = 0  # keeps the borrowed forward off its fused fast path
        self.activation = F.relu
