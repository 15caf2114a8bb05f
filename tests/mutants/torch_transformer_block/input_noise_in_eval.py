# mistake: noise added to the input in every mode (a data augmentation left in forward): eval mode is random, and not because of dropout
# caught-by: hidden
# diagnosis: also with dropout=0.0: the forward pass draws random numbers
# not-said: dropout is active in eval mode
import torch
import torch.nn as nn
import torch.nn.functional as F


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        # dropout= here drops attention weights (inside the softmax-weighted sum), as in PyTorch's layer.
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward, after the ReLU
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)  # on the attention's output, before the residual add
        self.dropout2 = nn.Dropout(dropout)  # on the feed-forward's output, before the residual add
        self.norm_first = norm_first

    def _sa_block(self, x, src_mask, src_key_padding_mask):
        # need_weights=False: only the output is used, and MHA can then take its fused attention path.
        x = self.self_attn(x, x, x, attn_mask=src_mask, key_padding_mask=src_key_padding_mask, need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        x = src + 1e-3 * torch.randn_like(src)  # the mistake: noise on the input, in every mode, whatever dropout is
        if self.norm_first:
            # The stream itself is never normalized: out - src is the sum of the two sublayers' outputs.
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._ff_block(x))
        return x
