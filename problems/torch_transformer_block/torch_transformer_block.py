"""TransformerEncoderBlock: a Transformer encoder block from its parts. The spec is README.md in this folder.

Grade it with `grade torch_transformer_block` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class TransformerEncoderBlock(nn.Module):
    """One Transformer encoder block, batch first, pre-LN or post-LN: nn.TransformerEncoderLayer from its parts."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        """Multi-head self-attention and a ReLU feed-forward, each with a residual connection, a LayerNorm and dropout.

        Name the parts as nn.TransformerEncoderLayer does, so that its state dict loads strictly:
        self_attn (nn.MultiheadAttention, batch_first=True), linear1, dropout, linear2, norm1, norm2,
        dropout1, dropout2; and keep norm_first as self.norm_first.
        """
        super().__init__()
        raise NotImplementedError("create self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2")

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        """src: (batch, seq, d_model). src_mask: (seq, seq) bool (True = may not attend) or float (added to the
        scores), or None. src_key_padding_mask: (batch, seq) bool (True = padding), or None.

        post-LN (norm_first=False): x = norm1(x + SA(x)); x = norm2(x + FF(x))
        pre-LN  (norm_first=True):  x = x + SA(norm1(x)); x = x + FF(norm2(x))
        Returns a tensor of src's shape and dtype.
        """
        raise NotImplementedError("the two sublayers, pre-LN or post-LN")
