# mistake: an nn.TransformerEncoderLayer kept in a plain list (out of the module tree), its parts shared with the block and its forward captured in __init__ (red team, 2026-12-04)
# caught-by: contract
# diagnosis: 'TransformerEncoderLayer', a layer the exercise asks you to build from its parts.*cannot vouch
import torch
import torch.nn as nn


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self._keep = [nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True, norm_first=norm_first)]
        inner = self._keep[0]
        self.self_attn = inner.self_attn
        self.linear1 = inner.linear1
        self.dropout = inner.dropout
        self.linear2 = inner.linear2
        self.norm1 = inner.norm1
        self.norm2 = inner.norm2
        self.dropout1 = inner.dropout1
        self.dropout2 = inner.dropout2
        self.norm_first = norm_first
        inner._sa_block = inner._sa_block
        inner._ff_block = inner._ff_block
        self._run = inner.forward

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        self._keep[0].train(self.training)
        return self._run(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
