# variant: both masks merged into one additive float mask of shape (batch * nhead, seq, seq); nn.MultiheadAttention called with its default need_weights=True; the two sublayers run in one loop
import torch
import torch.nn as nn


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.nhead = nhead
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = nn.ReLU()
        self.norm_first = norm_first

    def _merged_mask(self, src, src_mask, src_key_padding_mask):
        n, length, _ = src.shape
        mask = src.new_zeros(n, 1, length, length)
        if src_mask is not None:
            mask = mask + (src.new_full(src_mask.shape, float("-inf")).masked_fill(~src_mask, 0.0) if src_mask.dtype == torch.bool else src_mask)
        if src_key_padding_mask is not None:
            mask = mask.masked_fill(src_key_padding_mask[:, None, None, :], float("-inf"))
        return mask.expand(n, self.nhead, length, length).reshape(n * self.nhead, length, length)

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        mask = self._merged_mask(src, src_mask, src_key_padding_mask)
        sublayers = (
            (lambda u: self.self_attn(u, u, u, attn_mask=mask)[0], self.norm1, self.dropout1),
            (lambda u: self.linear2(self.dropout(self.activation(self.linear1(u)))), self.norm2, self.dropout2),
        )
        x = src
        for sublayer, norm, drop in sublayers:
            x = x + drop(sublayer(norm(x))) if self.norm_first else norm(x + drop(sublayer(x)))
        return x
