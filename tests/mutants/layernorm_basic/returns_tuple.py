# mistake: returns (out, cache) out of habit from the forward/backward exercises
# caught-by: examples, contract, hidden
# diagnosis: must return the normalized array alone
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, mean, var)
