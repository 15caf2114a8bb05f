# mistake: nn.TransformerEncoderLayer's methods taken from type() of a layer inside a built nn.Transformer (red team, 2026-12-04)
# caught-by: contract
# diagnosis: 'Transformer', a layer the exercise asks you to build from its parts.*cannot vouch
import torch.nn as nn
import torch.nn.functional as F

_Layer = type(nn.Transformer(8, 2, 1, 1, 16).encoder.layers[0])


class TransformerEncoderBlock(nn.Module):
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
        self.activation = F.relu
        self.activation_relu_or_gelu = 1

    # The built-in's own methods, taken before the grader's trace patches the class.
    _sa_block = _Layer._sa_block
    _ff_block = _Layer._ff_block
    _forward = _Layer.forward

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        return self._forward(src, src_mask, src_key_padding_mask)
