# mistake: a hand-written LayerNorm uses torch.var's default, the unbiased variance
# caught-by: hidden
# diagnosis: unbiased variance
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    """A hand-written LayerNorm."""

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


class ModelWithBatchNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = nn.BatchNorm1d(hidden)  # per feature, over the batch; running statistics for eval()
        self.fc2 = nn.Linear(hidden, hidden)
        self.norm2 = nn.BatchNorm1d(hidden)
        self.fc3 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        # The norm sits between each hidden linear layer and its ReLU; the output layer gives raw logits.
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.fc3(x)


class ModelWithLayerNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = LayerNorm(hidden)  # per sample, over its features: no batch statistics at all
        self.fc2 = nn.Linear(hidden, hidden)
        self.norm2 = LayerNorm(hidden)
        self.fc3 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.fc3(x)
