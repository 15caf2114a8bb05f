# mistake: variance as E[x^2] - E[x]^2, which cancels catastrophically when the mean is large
# caught-by: hidden
# diagnosis: E\[x²\] − E\[x\]²
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    var = (x * x).mean(axis=1, keepdims=True) - mean * mean
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
