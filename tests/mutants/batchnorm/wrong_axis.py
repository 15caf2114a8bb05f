# mistake: statistics taken over axis 1 (per example, as in LayerNorm) instead of per column
# caught-by: examples, hidden
# diagnosis: statistics were taken over axis 1
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "var": var, "eps": eps, "gamma": gamma}
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, var, eps, gamma = cache["x_hat"], cache["var"], cache["eps"], cache["gamma"]
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta
