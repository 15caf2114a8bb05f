# mistake: statistics taken over axis 0 (the batch), as in BatchNorm, instead of over each row's features
# caught-by: examples, hidden
# diagnosis: statistics were taken over axis 0
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    y = gamma * x_hat + beta
    return y, (x_hat, std, gamma)


def layernorm_backward(dy, cache):
    x_hat, std, gamma = cache
    n = dy.shape[0]
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = (n * dxhat - dxhat.sum(axis=0, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis=0, keepdims=True)) / (n * std)
    return dx, dgamma, dbeta
