# mistake: flattens the caller's gamma/beta in place (gamma.shape = (-1,)) when they come as (1, D)
# caught-by: contract
# diagnosis: shape changed from \(1, \d+\) to
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    orig = gamma.shape
    gamma.shape = (-1,)
    beta.shape = (-1,)
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, (x_hat, rstd, gamma, orig)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma, orig = cache
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dy * x_hat).sum(axis=0).reshape(orig), dy.sum(axis=0).reshape(orig)
