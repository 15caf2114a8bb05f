# mistake: statistics along axis 0 (across the batch, as in batch norm) instead of along the features
# caught-by: examples, hidden
# diagnosis: the statistics were taken over axis 0 instead of axis 1
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
