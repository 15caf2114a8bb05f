# mistake: backward scales the upstream gradient in place (dy *= gamma), corrupting the caller's dy
# caught-by: contract
# diagnosis: modified its input dout in place|modified its input dy in place
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    y = x_hat * gamma + beta
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dy *= gamma  # now dy holds dxhat
    dx = rstd * (dy - dy.mean(axis=1, keepdims=True) - x_hat * (dy * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
