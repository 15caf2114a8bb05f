# hostile: patches every clock in the time module to stand still, and runs its forward pass thirty times over
# within: 20
# exit: 0
# expect: pass/speed: ^slow: \d+\.\d\d× the reference's CPU time
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

# Every clock stands still: a timer read through these would see zero time.
time.perf_counter = time.monotonic = time.time = time.process_time = lambda: 0.0
time.perf_counter_ns = time.monotonic_ns = time.time_ns = lambda: 0


def _forward(x, gamma, beta, eps=1e-5):
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


def layernorm_forward(x, gamma, beta, eps=1e-5):
    for _ in range(29):
        _forward(x, gamma, beta, eps)
    return _forward(x, gamma, beta, eps)
