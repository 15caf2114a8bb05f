# mistake: the layer is Linear -> ReLU -> LayerNorm (the LayerNorm output recorded and passed on)
# caught-by: examples, hidden
# diagnosis: after the ReLU
import torch
import torch.nn as nn


def summarize(index, z, bins):
    low, high = z.min().item(), z.max().item()
    if low == high:
        low, high = low - 0.5, high + 0.5
    hist = torch.histc(z, bins=bins, min=low, max=high)
    edges = torch.linspace(low, high, bins + 1)
    return {"layer": index, "mean": z.mean().item(), "std": z.std(unbiased=False).item(),
            "hist": hist.long().tolist(), "edges": edges.tolist()}


def activation_histograms(depth=8, width=64, batch_size=256, weight_std=0.1, bins=20, seed=0, eps=1e-5):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, width, generator=gen)
    weights = [weight_std * torch.randn(width, width, generator=gen) for _ in range(depth)]
    out = {}
    with torch.no_grad():
        for key, use_ln in (("without_layernorm", False), ("with_layernorm", True)):
            norm = nn.LayerNorm(width, eps=eps)
            h = x
            layers = []
            for i, w in enumerate(weights):
                z = h @ w.T
                if use_ln:
                    z = norm(torch.relu(z))
                    h = z
                else:
                    h = torch.relu(z)
                layers.append(summarize(i + 1, z, bins))
            out[key] = layers
    return out
