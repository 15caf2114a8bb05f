# mistake: backward recomputes the statistics from the cached x but with the default eps, not the eps forward got
# caught-by: examples, hidden
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    y = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return y, (x, gamma)


def layernorm_backward(dy, cache, eps=1e-5):
    x, gamma = cache
    D = x.shape[1]
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv
    dxhat = dy * gamma
    dx = inv / D * (D * dxhat - dxhat.sum(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True))
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    return dx, dgamma, dbeta
