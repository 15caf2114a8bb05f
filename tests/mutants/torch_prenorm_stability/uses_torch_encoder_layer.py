# mistake: the layers are nn.TransformerEncoderLayer(norm_first=...), PyTorch's own, instead of being built from parts
# caught-by: contract
# diagnosis: nn.TransformerEncoderLayer
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _layer(d_model, nhead, dim_feedforward, norm_first):
    return nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True, norm_first=norm_first)


class PreLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList(_layer(d_model, nhead, dim_feedforward, True) for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)

    def forward(self, src):
        x = src
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class PostLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList(_layer(d_model, nhead, dim_feedforward, False) for _ in range(num_layers))

    def forward(self, src):
        x = src
        for layer in self.layers:
            x = layer(x)
        return x


def compare_stability(num_layers=6, steps=30, lr=1e-3, seed=0, d_model=32, nhead=4, dim_feedforward=64):
    torch.manual_seed(seed)
    x = torch.randn(16, 8, d_model)
    target = torch.randn(16, 8, d_model)
    results = {}
    for name, stack in (("pre", PreLayerNormTransformer), ("post", PostLayerNormTransformer)):
        torch.manual_seed(seed + 1)  # the same initial weights for both: only the LayerNorms' places differ
        model = stack(d_model, nhead, num_layers, dim_feedforward)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        grad_norms, losses = [], []
        for step in range(steps):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), target)
            loss.backward()
            if step == 0:  # at initialization: after backward, before the first update changes anything
                grad_norms = [
                    math.sqrt(sum(float((p.grad**2).sum()) for p in layer.parameters() if p.grad is not None))
                    for layer in model.layers
                ]
            losses.append(loss.item())
            optimizer.step()
        results[name] = {"grad_norms": grad_norms, "losses": losses}
    return results
