# mistake: row statistics without keepdims, so they broadcast along the features: crashes unless N == D, and wrong values on square batches
# caught-by: examples, hidden
# diagnosis: lost their keepdims
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=1)
    var = np.var(x, axis=1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
