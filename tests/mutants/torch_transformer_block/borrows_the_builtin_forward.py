# mistake: the block runs nn.TransformerEncoderLayer's own forward, _sa_block and _ff_block, taken from the class at import, before the trace patches it (red team, 2026-12-04)
# caught-by: contract
# diagnosis: 'TransformerEncoderLayer', a layer the exercise asks you to build from its parts.*cannot vouch
import torch
import torch.nn as nn

_TEL = nn.TransformerEncoderLayer
_FORWARD, _SA, _FF = _TEL.__dict__["forward"], _TEL.__dict__["_sa_block"], _TEL.__dict__["_ff_block"]


class TransformerEncoderBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        donor = _TEL(d_model, nhead, dim_feedforward, dropout, batch_first=True, norm_first=norm_first)
        for name, child in donor.named_children():
            setattr(self, name, child)
        self.norm_first = norm_first
        self.activation_relu_or_gelu = 0  # never take the fused fast path
        self.activation = donor.activation

    forward = _FORWARD
    _sa_block = _SA
    _ff_block = _FF
