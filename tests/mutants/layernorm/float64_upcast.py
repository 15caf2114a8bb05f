# mistake: preallocates float64 buffers (np.zeros(x.shape)), so float32 input comes back float64
# caught-by: contract
# diagnosis: expected dtype float32
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    y = np.zeros((N, D))
    x_hat = np.zeros((N, D))
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat[:] = (x - mu) * rstd
    y[:] = x_hat * gamma.reshape(-1) + beta.reshape(-1)
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma.reshape(-1)
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
