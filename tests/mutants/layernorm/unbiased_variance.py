# mistake: the variance uses ddof=1 (unbiased, divide by D-1) instead of the biased variance
# caught-by: examples, hidden
# diagnosis: ddof=1
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, ddof=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xn = (x - mean) * inv_std
    out = xn * gamma + beta
    cache = {"xn": xn, "inv_std": inv_std, "gamma": gamma}
    return out, cache


def layernorm_backward(dy, cache):
    xn, inv_std, gamma = cache["xn"], cache["inv_std"], cache["gamma"]
    D = dy.shape[1]
    dbeta = np.sum(dy, axis=0).reshape(gamma.shape)
    dgamma = np.sum(dy * xn, axis=0).reshape(gamma.shape)
    dxn = dy * gamma
    # the candidate differentiated their own forward consistently: var = sum(xc^2)/(D-1)
    dx = inv_std * (dxn - dxn.mean(axis=1, keepdims=True)
                    - xn * (dxn * xn).sum(axis=1, keepdims=True) / (D - 1))
    return dx, dgamma, dbeta
