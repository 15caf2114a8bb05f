"""Activations with and without LayerNorm, layer by layer. The spec is README.md in this folder.

Grade it with `grade torch_activation_viz` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn


def activation_histograms(depth=8, width=64, batch_size=256, weight_std=0.1, bins=20, seed=0, eps=1e-5):
    """Run the spec's experiment: a deep ReLU MLP without and with LayerNorm, same input, same weights.

    Returns {"without_layernorm": [...], "with_layernorm": [...]}: for each network a list of `depth`
    dicts, one per layer in order, each {"layer": l, "mean": float, "std": float, "hist": [bins ints],
    "edges": [bins + 1 floats]} describing z_l, the ReLU's input after the normalization. Plain Python
    data (use .item() and .tolist()); draw every random number from torch.Generator().manual_seed(seed).
    """
    raise NotImplementedError("draw x and the weights, run both networks, record each layer's statistics")
