# mistake: dgamma/dbeta summed with keepdims=True, so they come back (1, D) even when gamma is (D,)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(1, \d+\)
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, var, eps, gamma)


def layernorm_backward(dy, cache):
    x_hat, var, eps, gamma = cache
    dbeta = np.sum(dy, axis=0, keepdims=True)
    dgamma = np.sum(dy * x_hat, axis=0, keepdims=True)
    dxhat = dy * gamma
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
    return dx, dgamma, dbeta
