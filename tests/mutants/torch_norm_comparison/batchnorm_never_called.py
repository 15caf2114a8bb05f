# mistake: the BatchNorm layers are created but forward never calls them
# caught-by: hidden
# diagnosis: never applied
import torch.nn as nn
import torch.nn.functional as F


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
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ModelWithLayerNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = nn.LayerNorm(hidden)  # per sample, over its features: no batch statistics at all
        self.fc2 = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.fc3 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.fc3(x)
