"""Reference solution for rmsnorm.

Per row, rstd = 1/sqrt(mean(x**2) + eps) and x_hat = x * rstd; y = x_hat * gamma. There is no mean to
subtract, so x reaches the output by two paths only, directly and through the row's mean square, and
the input gradient is one expression (means over each row):

    dx = rstd * (dxhat - x_hat * mean(dxhat * x_hat)),   dxhat = dy * gamma

The cache keeps x itself (a reference, not a copy) and rstd: the forward pass then allocates nothing but
y, and the backward pass rebuilds x_hat in a buffer that it goes on to reuse, so a forward + backward
pass holds three (N, D) arrays at most. Row and column reductions are einsums (no temporaries), and every
update in place happens on an array this module allocated, never on the caller's.
"""

import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    d = x.shape[1]
    rstd = 1.0 / np.sqrt(np.einsum("ij,ij->i", x, x) / d + eps)
    y = x * rstd[:, None]
    y *= gamma
    return y, (x, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x, rstd, gamma = cache
    d = x.shape[1]
    x_hat = x * rstd[:, None]
    dgamma = np.einsum("ij,ij->j", dy, x_hat)
    dxhat = dy * gamma
    proj = np.einsum("ij,ij->i", dxhat, x_hat) / d
    x_hat *= proj[:, None]
    np.subtract(dxhat, x_hat, out=dxhat)
    dxhat *= rstd[:, None]
    return dxhat, dgamma
