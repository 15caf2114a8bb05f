# variant: attention and LayerNorm written by hand (parameters named like nn.MultiheadAttention's and nn.LayerNorm's), masks as -inf fills, dropout through F.dropout(training=self.training)
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x):
        centered = x - x.mean(-1, keepdim=True)
        var = centered.pow(2).mean(-1, keepdim=True)
        return centered * torch.rsqrt(var + self.eps) * self.weight + self.bias


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's parameters (one packed in_proj) and math, batch first."""

    def __init__(self, d_model, nhead, dropout):
        super().__init__()
        self.nhead, self.dropout = nhead, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x, attn_mask=None, key_padding_mask=None):
        n, length, d = x.shape
        dh = d // self.nhead
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (t.reshape(n, length, self.nhead, dh).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            else:
                scores = scores + attn_mask
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        weights = F.dropout(torch.softmax(scores, dim=-1), self.dropout, self.training)
        context = (weights @ v).transpose(1, 2).reshape(n, length, d)
        return self.out_proj(context)


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.self_attn = SelfAttention(d_model, nhead, dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        sa = lambda u: self.dropout1(self.self_attn(u, src_mask, src_key_padding_mask))  # noqa: E731
        ff = lambda u: self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(u)))))  # noqa: E731
        if self.norm_first:
            h = src + sa(self.norm1(src))
            return h + ff(self.norm2(h))
        h = self.norm1(src + sa(src))
        return self.norm2(h + ff(h))
