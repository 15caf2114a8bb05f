# variant: hand-written BatchNorm and LayerNorm modules with PyTorch's names and buffers (running statistics reassigned, not updated in place), one base class taking the norm as a factory
import torch
import torch.nn as nn


class BatchNorm(nn.Module):
    def __init__(self, n, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))
        self.register_buffer("num_batches_tracked", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        if not self.training:
            x_hat = (x - self.running_mean) * torch.rsqrt(self.running_var + self.eps)
            return self.weight * x_hat + self.bias
        n = x.shape[0]
        mean = x.mean(dim=0)
        centered = x - mean
        biased = (centered * centered).mean(dim=0)
        m = self.momentum
        self.running_mean = ((1 - m) * self.running_mean + m * mean).detach()
        self.running_var = ((1 - m) * self.running_var + m * biased * n / (n - 1)).detach()
        self.num_batches_tracked = self.num_batches_tracked + 1
        return self.weight * centered * torch.rsqrt(biased + self.eps) + self.bias


class LayerNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        centered = x - x.mean(dim=-1, keepdim=True)
        std = torch.sqrt((centered**2).mean(dim=-1, keepdim=True) + self.eps)
        return self.weight * (centered / std) + self.bias


class _MLP(nn.Module):
    make_norm = None

    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, num_classes)
        self.norm1 = type(self).make_norm(hidden)
        self.norm2 = type(self).make_norm(hidden)

    def forward(self, x):
        for fc, norm in ((self.fc1, self.norm1), (self.fc2, self.norm2)):
            x = torch.clamp(norm(fc(x)), min=0.0)
        return self.fc3(x)


class ModelWithBatchNorm(_MLP):
    make_norm = BatchNorm

    def __init__(self, in_features, hidden, num_classes):
        super().__init__(in_features, hidden, num_classes)


class ModelWithLayerNorm(_MLP):
    make_norm = LayerNorm

    def __init__(self, in_features, hidden, num_classes):
        super().__init__(in_features, hidden, num_classes)
