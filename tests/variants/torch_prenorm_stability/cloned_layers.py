# variant: every layer a deep copy of one template (identical initial weights, as nn.TransformerEncoder makes them), F.layer_norm on the norms' parameters, nn.MSELoss, per-parameter norms combined with math.hypot
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, pre):
        super().__init__()
        self.pre = pre
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.0, bias=True, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def _ln(self, norm, x):
        return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)

    def forward(self, x):
        def attend(u):
            out, _ = self.self_attn(u, u, u, need_weights=False)
            return out

        def feed(u):
            return self.linear2(F.relu(self.linear1(u)))

        if self.pre:
            x = x + attend(self._ln(self.norm1, x))
            x = x + feed(self._ln(self.norm2, x))
        else:
            x = self._ln(self.norm1, x + attend(x))
            x = self._ln(self.norm2, x + feed(x))
        return x


def _clones(layer, n):
    return nn.ModuleList([copy.deepcopy(layer) for _ in range(n)])


class PreLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = _clones(EncoderLayer(d_model, nhead, dim_feedforward, pre=True), num_layers)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, src):
        for layer in self.layers:
            src = layer(src)
        return self.norm(src)


class PostLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = _clones(EncoderLayer(d_model, nhead, dim_feedforward, pre=False), num_layers)

    def forward(self, src):
        for layer in self.layers:
            src = layer(src)
        return src


def compare_stability(num_layers=6, steps=30, lr=1e-3, seed=0, d_model=32, nhead=4, dim_feedforward=64):
    torch.manual_seed(seed)
    x = torch.randn(16, 8, d_model)
    target = torch.randn(16, 8, d_model)
    criterion = nn.MSELoss()
    result = {}
    for name in ("pre", "post"):
        torch.manual_seed(seed + 1)
        cls = PreLayerNormTransformer if name == "pre" else PostLayerNormTransformer
        model = cls(d_model, nhead, num_layers, dim_feedforward)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        result[name] = {"grad_norms": [], "losses": []}
        for step in range(steps):
            optimizer.zero_grad()
            loss = criterion(model(x), target)
            loss.backward()
            if step == 0:
                result[name]["grad_norms"] = [math.hypot(*(p.grad.norm().item() for p in layer.parameters())) for layer in model.layers]
            result[name]["losses"].append(loss.item())
            optimizer.step()
    return result
