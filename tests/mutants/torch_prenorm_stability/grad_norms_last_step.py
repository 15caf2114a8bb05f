# mistake: the gradient norms are taken at the last step instead of at initialization
# caught-by: hidden
# diagnosis: recipe
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class _EncoderLayer(nn.Module):
    """One encoder layer, named part by part as nn.TransformerEncoderLayer, so state dicts are interchangeable."""

    def __init__(self, d_model, nhead, dim_feedforward, norm_first):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def _sa(self, x):
        return self.self_attn(x, x, x, need_weights=False)[0]

    def _ff(self, x):
        return self.linear2(F.relu(self.linear1(x)))

    def forward(self, x):
        if self.norm_first:
            # Pre-LN: the sublayers read a normalized copy; the residual stream itself is never normalized.
            x = x + self._sa(self.norm1(x))
            return x + self._ff(self.norm2(x))
        # Post-LN: the stream is normalized after every residual add.
        x = self.norm1(x + self._sa(x))
        return self.norm2(x + self._ff(x))


class PreLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        # One fresh layer per depth (not [layer] * num_layers, which would share the weights).
        self.layers = nn.ModuleList(_EncoderLayer(d_model, nhead, dim_feedforward, True) for _ in range(num_layers))
        # Nothing normalizes a pre-LN stream, so the stack ends with one LayerNorm (GPT-2, Xiong et al.).
        self.norm = nn.LayerNorm(d_model)

    def forward(self, src):
        x = src
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class PostLayerNormTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList(_EncoderLayer(d_model, nhead, dim_feedforward, False) for _ in range(num_layers))

    def forward(self, src):
        x = src
        for layer in self.layers:
            x = layer(x)
        return x  # already normalized: the last layer ends with norm2


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
            if step == steps - 1:  # at the end: after backward, before the first update changes anything
                grad_norms = [
                    math.sqrt(sum(float((p.grad**2).sum()) for p in layer.parameters() if p.grad is not None))
                    for layer in model.layers
                ]
            losses.append(loss.item())
            optimizer.step()
        results[name] = {"grad_norms": grad_norms, "losses": losses}
    return results
