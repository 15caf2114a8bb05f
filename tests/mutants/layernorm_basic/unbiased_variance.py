# mistake: np.var(..., ddof=1): the unbiased variance, where layer norm uses the biased one
# caught-by: examples, hidden
# diagnosis: ddof=1
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, ddof=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
