# variant: the norms' modules hold the parameters and buffers, forward calls F.batch_norm / F.layer_norm on them itself, nn.ReLU modules, fc layers created in another order
import torch.nn as nn
import torch.nn.functional as F


class ModelWithBatchNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc3 = nn.Linear(hidden, num_classes)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = nn.BatchNorm1d(hidden)
        self.norm2 = nn.BatchNorm1d(hidden)
        self.act = nn.ReLU()

    def _bn(self, bn, x):
        if self.training:
            bn.num_batches_tracked.add_(1)
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, self.training, 0.1, 1e-5)

    def forward(self, x):
        h = self.act(self._bn(self.norm1, self.fc1(x)))
        h = self.act(self._bn(self.norm2, self.fc2(h)))
        return self.fc3(h)


class ModelWithLayerNorm(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc3 = nn.Linear(hidden, num_classes)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc1 = nn.Linear(in_features, hidden)
        self.norm1 = nn.LayerNorm(hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.act = nn.ReLU()

    def forward(self, x):
        h = self.act(F.layer_norm(self.fc1(x), (self.norm1.weight.shape[0],), self.norm1.weight, self.norm1.bias, 1e-5))
        h = self.act(F.layer_norm(self.fc2(h), self.norm2.normalized_shape, self.norm2.weight, self.norm2.bias, self.norm2.eps))
        return self.fc3(h)
