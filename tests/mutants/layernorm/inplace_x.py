# mistake: forward centers x in place (x -= mu), corrupting the caller's array
# caught-by: contract
# diagnosis: modified its input x in place
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    x -= mu
    var = (x * x).mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = x * rstd
    y = x_hat * gamma + beta
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
