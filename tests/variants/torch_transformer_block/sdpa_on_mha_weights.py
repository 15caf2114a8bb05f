# variant: keeps nn.MultiheadAttention for its parameters but runs attention through F.scaled_dot_product_attention, with both masks folded into one additive float bias and dropout_p from self_attn.dropout in train mode
import torch
import torch.nn as nn
import torch.nn.functional as F


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

    def _attention(self, x, src_mask, src_key_padding_mask):
        attn = self.self_attn
        n, length, d = x.shape
        heads = attn.num_heads
        q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).split(d, dim=-1)
        q, k, v = (t.unflatten(-1, (heads, d // heads)).transpose(1, 2) for t in (q, k, v))
        bias = x.new_zeros(n, 1, length, length)
        if src_mask is not None:
            bias = bias.masked_fill(src_mask, float("-inf")) if src_mask.dtype == torch.bool else bias + src_mask
        if src_key_padding_mask is not None:
            bias = bias.masked_fill(src_key_padding_mask.view(n, 1, 1, length), float("-inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=attn.dropout if self.training else 0.0)
        return attn.out_proj(out.transpose(1, 2).flatten(2))

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        x = src
        if self.norm_first:
            x = x + self.dropout1(self._attention(self.norm1(x), src_mask, src_key_padding_mask))
            x = x + self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(self.norm2(x))))))
        else:
            x = self.norm1(x + self.dropout1(self._attention(x, src_mask, src_key_padding_mask)))
            x = self.norm2(x + self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(x))))))
        return x
