# mistake: subclasses nn.TransformerEncoderLayer instead of building the block: right numbers, but not the exercise
# caught-by: contract
# diagnosis: TransformerEncoderLayer
import torch.nn as nn


class TransformerEncoderBlock(nn.TransformerEncoderLayer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__(d_model, nhead, dim_feedforward, dropout, batch_first=True, norm_first=norm_first)

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        return super().forward(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
