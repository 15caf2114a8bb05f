# mistake: converts the input to float64 first (np.asarray(x, dtype=np.float64)), so float32 comes back as float64
# caught-by: contract, hidden
# diagnosis: expected dtype float32
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
