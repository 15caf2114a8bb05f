# mistake: eps accepted but never used: x_hat = (x - mu) / x.std(...), NaN on a constant row
# caught-by: examples, contract, hidden
# diagnosis: NaN or inf when the variance is 0|eps was left out
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    x_hat = (x - mu) / std
    return x_hat * gamma + beta, (x_hat, std, gamma)


def layernorm_backward(dy, cache):
    x_hat, std, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta
