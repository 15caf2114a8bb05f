"""Reference solution: activations of a deep ReLU MLP with and without LayerNorm, as plain data.

Both networks get the same input and the same weights, drawn from one torch.Generator in the spec's order,
so the only difference between them is the LayerNorm. Everything runs in float32 under no_grad: this is
a measurement, not training.
"""

import torch
import torch.nn as nn


def _layer_record(index, z, bins):
    """One layer's statistics and histogram of z, over all of its values."""
    values = z.flatten()
    low, high = values.min().item(), values.max().item()
    if low == high:  # a constant layer (say, every ReLU of the layer below was off): np.histogram's ±0.5
        low, high = low - 0.5, high + 0.5
    # torch.histc and np.histogram agree: `bins` equal bins over [min, max], the maximum in the last one.
    hist = torch.histc(values, bins=bins, min=low, max=high)
    edges = torch.linspace(low, high, bins + 1)
    return {
        "layer": index,
        "mean": values.mean().item(),
        "std": values.std(unbiased=False).item(),  # the population std; Tensor.std is unbiased by default
        "hist": hist.to(torch.int64).tolist(),
        "edges": edges.tolist(),
    }


def _network(depth, width, layernorm, eps):
    layers = nn.ModuleList()
    for _ in range(depth):
        block = nn.ModuleDict({"linear": nn.Linear(width, width, bias=False)})
        if layernorm:
            block["norm"] = nn.LayerNorm(width, eps=eps)
        layers.append(block)
    return layers


def activation_histograms(depth=8, width=64, batch_size=256, weight_std=0.1, bins=20, seed=0, eps=1e-5):
    gen = torch.Generator().manual_seed(seed)  # a private generator: the global RNG is neither read nor moved
    x = torch.randn(batch_size, width, generator=gen)
    weights = [weight_std * torch.randn(width, width, generator=gen) for _ in range(depth)]

    result = {}
    with torch.no_grad():
        for key, layernorm in (("without_layernorm", False), ("with_layernorm", True)):
            net = _network(depth, width, layernorm, eps)
            records = []
            h = x
            for index, (block, weight) in enumerate(zip(net, weights), start=1):
                block["linear"].weight.copy_(weight)  # nn.Linear computes h @ W.T
                z = block["linear"](h)
                if layernorm:
                    z = block["norm"](z)
                records.append(_layer_record(index, z, bins))  # z: the ReLU's input, after the norm
                h = torch.relu(z)
            result[key] = records
    return result
