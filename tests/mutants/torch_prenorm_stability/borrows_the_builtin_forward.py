# mistake: each layer runs nn.TransformerEncoderLayer's own forward, taken from the class at import (red team, 2026-12-04)
# caught-by: contract
# diagnosis: 'TransformerEncoderLayer', a layer the exercise asks you to build from its parts.*cannot vouch
import torch
import torch.nn as nn
import torch.nn.functional as F

_TEL = nn.TransformerEncoderLayer
_FORWARD, _SA, _FF = _TEL.__dict__["forward"], _TEL.__dict__["_sa_block"], _TEL.__dict__["_ff_block"]


class _Layer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, norm_first):
        super().__init__()
        donor = _TEL(d_model, nhead, dim_feedforward, 0.0, batch_first=True, norm_first=norm_first)
        for name, child in donor.named_children():
            setattr(self, name, child)
        self.norm_first = norm_first
        self.activation_relu_or_gelu = 0
        self.activation = donor.activation

    forward = _FORWARD
    _sa_block = _SA
    _ff_block = _FF


class PreLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList([_Layer(d_model, nhead, dim_feedforward, True) for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model)

    def forward(self, src):
        for layer in self.layers:
            src = layer(src)
        return self.norm(src)


class PostLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList([_Layer(d_model, nhead, dim_feedforward, False) for _ in range(num_layers)])

    def forward(self, src):
        for layer in self.layers:
            src = layer(src)
        return src


def compare_stability(num_layers=6, steps=30, lr=1e-3, seed=0, d_model=32, nhead=4, dim_feedforward=64):
    torch.manual_seed(seed)
    x = torch.randn(16, 8, d_model)
    target = torch.randn(16, 8, d_model)
    out = {}
    for name, cls in (("pre", PreLayerNormTransformer), ("post", PostLayerNormTransformer)):
        torch.manual_seed(seed + 1)
        model = cls(d_model, nhead, num_layers, dim_feedforward)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        norms, losses = [], []
        for step in range(steps):
            opt.zero_grad()
            loss = F.mse_loss(model(x), target)
            loss.backward()
            if step == 0:
                norms = [float(sum((p.grad ** 2).sum() for p in layer.parameters()) ** 0.5) for layer in model.layers]
            losses.append(loss.item())
            opt.step()
        out[name] = {"grad_norms": norms, "losses": losses}
    return out
