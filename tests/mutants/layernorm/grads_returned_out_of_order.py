# mistake: backward returns (dx, dbeta, dgamma) instead of (dx, dgamma, dbeta)
# caught-by: examples, hidden, gradcheck
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dbeta, dgamma
