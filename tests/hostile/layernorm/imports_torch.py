# constraint: the NumPy track forbids torch
# within: 10
# expect: error/load: constraint violation on line 8: imports torch; this problem is NumPy only
import numpy as np


if False:
    import torch


def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    mu = (x @ np.ones(d, dtype=x.dtype)) / d
    x_hat = x - mu[:, None]
    var = np.einsum("ij,ij->i", x_hat, x_hat) / d
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat *= rstd[:, None]
    y = x_hat * gamma.reshape(-1)
    y += beta.reshape(-1)
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    d = x_hat.shape[1]
    dbeta = np.ones(dy.shape[0], dtype=dy.dtype) @ dy
    dgamma = np.einsum("ij,ij->j", dy, x_hat)
    dxhat = dy * gamma.reshape(-1)
    mean_dxhat = (dxhat @ np.ones(d, dtype=dy.dtype)) / d
    mean_dxhat_xhat = np.einsum("ij,ij->i", dxhat, x_hat) / d
    dx = x_hat * mean_dxhat_xhat[:, None]
    dx += mean_dxhat[:, None]
    np.subtract(dxhat, dx, out=dx)
    dx *= rstd[:, None]
    return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)
