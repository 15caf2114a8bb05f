# mistake: centers and scales x in place (x -= mean; x /= std), overwriting the caller's array
# caught-by: contract
# diagnosis: modified its input x in place
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    x -= mean
    x /= np.sqrt(var + eps)
    return gamma * x + beta
