"""BatchNorm vs LayerNorm: two small MLP classifiers. The spec is README.md in this folder.

Grade it with `grade torch_norm_comparison` (needs torch: pip install -e '.[torch]').
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelWithBatchNorm(nn.Module):
    """A small MLP classifier with a BatchNorm1d after each hidden linear layer."""

    def __init__(self, in_features, hidden, num_classes):
        """fc1 → norm1 (BatchNorm1d) → ReLU → fc2 → norm2 (BatchNorm1d) → ReLU → fc3, with those attribute names."""
        super().__init__()
        raise NotImplementedError("create fc1, norm1, fc2, norm2, fc3")

    def forward(self, x):
        """x: (batch, in_features). Returns the logits, (batch, num_classes)."""
        raise NotImplementedError("Linear → BatchNorm → ReLU, twice, then the output layer")


class ModelWithLayerNorm(nn.Module):
    """The same MLP classifier with a LayerNorm after each hidden linear layer."""

    def __init__(self, in_features, hidden, num_classes):
        """fc1 → norm1 (LayerNorm) → ReLU → fc2 → norm2 (LayerNorm) → ReLU → fc3, with those attribute names."""
        super().__init__()
        raise NotImplementedError("create fc1, norm1, fc2, norm2, fc3")

    def forward(self, x):
        """x: (batch, in_features). Returns the logits, (batch, num_classes)."""
        raise NotImplementedError("Linear → LayerNorm → ReLU, twice, then the output layer")
