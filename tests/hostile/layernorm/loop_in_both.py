# hostile: endless loops in forward and in backward: still one timeout per function
# (they sleep in their loops, spending no CPU: the limits are wall-clock time; loop_in_forward.py spins)
# args: --timeout 1
# within: 15
# expect: error: did not return within 1 s
# no-pass
"""Reference solution for layernorm.

The cache keeps x_hat and rstd = 1/sqrt(var + eps) per row: all the backward pass needs, and it makes the
input gradient one expression (means over each row):

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)),   dxhat = dy * gamma

whose three terms are the direct path and the paths through the mean and through the variance.
Row reductions go through BLAS (matrix-vector products, einsum) and updates happen in place on arrays
this module allocated itself, never on the caller's.
"""

import time

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    while True:
        time.sleep(0.5)
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
    while True:
        time.sleep(0.5)
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
