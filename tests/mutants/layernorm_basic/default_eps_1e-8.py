# mistake: the default eps is 1e-8 instead of the spec's 1e-5
# caught-by: examples, hidden
# diagnosis: your eps defaults to 1e-08
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-8):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
