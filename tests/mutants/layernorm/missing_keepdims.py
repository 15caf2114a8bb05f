# mistake: row statistics without keepdims=True, so x - mu broadcasts mu across columns (crashes unless N == D)
# caught-by: examples, contract, hidden, gradcheck
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1)
    var = x.var(axis=1)
    x_hat = (x - mu) / np.sqrt(var + eps)
    y = gamma * x_hat + beta
    return y, (x_hat, var, eps, gamma)


def layernorm_backward(dy, cache):
    x_hat, var, eps, gamma = cache
    dxhat = dy * gamma
    dx = (dxhat - dxhat.mean(axis=1) - x_hat * (dxhat * x_hat).mean(axis=1)) / np.sqrt(var + eps)
    return dx, (dy * x_hat).sum(axis=0).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
