# variant: builds each network as an nn.Sequential of Linear(bias=False) [+ LayerNorm] + ReLU, copies the drawn weights in, and captures every ReLU's input with forward pre-hooks (the usual way to look inside a model); statistics and histogram in NumPy (np.histogram), on the float32 values
import numpy as np
import torch
import torch.nn as nn


def _build(depth, width, weights, layernorm, eps):
    modules = []
    for w in weights:
        linear = nn.Linear(width, width, bias=False)
        with torch.no_grad():
            linear.weight.copy_(w)
        modules.append(linear)
        if layernorm:
            modules.append(nn.LayerNorm(width, eps=eps))
        modules.append(nn.ReLU())
    return nn.Sequential(*modules)


def activation_histograms(depth=8, width=64, batch_size=256, weight_std=0.1, bins=20, seed=0, eps=1e-5):
    gen = torch.Generator()
    gen.manual_seed(seed)
    x = torch.randn(batch_size, width, generator=gen)
    weights = [torch.randn(width, width, generator=gen) * weight_std for _ in range(depth)]
    result = {}
    for name, layernorm in (("without_layernorm", False), ("with_layernorm", True)):
        model = _build(depth, width, weights, layernorm, eps)
        captured = []
        handles = [m.register_forward_pre_hook(lambda mod, inp: captured.append(inp[0].detach().numpy().ravel()))
                   for m in model if isinstance(m, nn.ReLU)]
        with torch.no_grad():
            model(x)
        for handle in handles:
            handle.remove()
        layers = []
        for index, values in enumerate(captured, start=1):
            hist, edges = np.histogram(values, bins=bins)
            layers.append({
                "layer": index,
                "mean": float(np.mean(values, dtype=np.float64)),
                "std": float(np.std(values, dtype=np.float64)),
                "hist": [int(c) for c in hist],
                "edges": [float(e) for e in edges],
                "min": float(values.min()),
                "max": float(values.max()),
            })
        result[name] = layers
    return result
