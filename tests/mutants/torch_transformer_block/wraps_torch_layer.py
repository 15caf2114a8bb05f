# mistake: wraps an nn.TransformerEncoderLayer as self.layer: the state dict's keys gain a "layer." prefix and PyTorch's weights do not load
# caught-by: contract, hidden
# diagnosis: layer\.
import torch.nn as nn


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.norm_first = norm_first
        self.layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True, norm_first=norm_first)

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        return self.layer(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
