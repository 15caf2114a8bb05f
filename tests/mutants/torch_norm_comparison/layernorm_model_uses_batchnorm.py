# mistake: ModelWithLayerNorm is built with nn.BatchNorm1d (copy-pasted from the BatchNorm model)
# caught-by: contract, hidden
# diagnosis: belong to BatchNorm|batch-mates
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
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.fc3(x)


class ModelWithLayerNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.norm2 = nn.BatchNorm1d(hidden)
        self.fc3 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.fc3(x)
