# mistake: sklearn-style guard: columns with zero variance get std = 1 instead of sqrt(0 + eps)
# caught-by: hidden
# diagnosis: special-cased with std = 1
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + eps)
    std[var == 0] = 1.0
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, {"x_hat": x_hat, "std": std, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
