# mistake: dgamma and dbeta are left per-example, (N, D), instead of summed over the batch
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(\d+, \d+\)
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
    dgamma = dy * x_hat
    dbeta = dy
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
