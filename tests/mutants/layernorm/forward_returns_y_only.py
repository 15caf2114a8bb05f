# mistake: forward returns only y (no cache); backward recomputes nothing it could
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: must return \(y, cache\)|must return 2 values
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return gamma * x_hat + beta


def layernorm_backward(dy, cache):
    x, gamma, eps = cache
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * rstd
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dy * x_hat).sum(axis=0).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
