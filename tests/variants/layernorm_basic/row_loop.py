# variant: one row at a time, the statistics written out with Python's sum over np.float64 values
# speed: not vectorized
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    out = np.empty_like(x)
    for i, row in enumerate(x):
        mu = row.mean()
        var = ((row - mu) ** 2).mean()
        out[i] = gamma * (row - mu) / np.sqrt(var + eps) + beta
    return out
