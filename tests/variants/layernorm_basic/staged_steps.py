# variant: the exercise's four steps one per line, sums divided by the feature count, explicit reshapes of gamma and beta
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    n_features = x.shape[-1]
    mean = np.sum(x, axis=-1).reshape(-1, 1) / n_features                     # 1. mean
    centered = x - mean
    variance = np.sum(centered * centered, axis=-1).reshape(-1, 1) / n_features  # 2. variance
    normalized = centered / np.sqrt(variance + eps)                          # 3. normalize
    return normalized * gamma.reshape(1, -1) + beta.reshape(1, -1)           # 4. scale and shift
