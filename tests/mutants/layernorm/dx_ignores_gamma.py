# mistake: dx is computed from dy directly instead of dxhat = dy * gamma
# caught-by: hidden, gradcheck
# diagnosis: dx ignores gamma
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    rstd = (var + eps) ** -0.5
    xhat = (x - mu) * rstd
    return gamma * xhat + beta, (xhat, rstd, gamma)


def layernorm_backward(dy, cache):
    xhat, rstd, gamma = cache
    D = dy.shape[1]
    dbeta = dy.sum(0).reshape(gamma.shape)
    dgamma = (dy * xhat).sum(0).reshape(gamma.shape)
    dx = rstd / D * (D * dy - dy.sum(1, keepdims=True) - xhat * (dy * xhat).sum(1, keepdims=True))
    return dx, dgamma, dbeta
