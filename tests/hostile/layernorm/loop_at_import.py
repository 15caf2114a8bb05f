# hostile: an endless loop while the file is imported
# (it sleeps in its loop: the grader's limits are wall-clock time, so a loop that waits is stopped like one that
# spins, and this file, graded twice per run for 7 s each, spends no CPU the suite's other gradings need;
# loop_in_forward.py is the one that spins)
# args: --timeout 1
# within: 30
# expect: error/load: importing the file took longer than
# no-pass
import time

while True:
    time.sleep(0.5)
"""Reference solution for layernorm.

The cache keeps x_hat and rstd = 1/sqrt(var + eps) per row: all the backward pass needs, and it makes the
input gradient one expression (means over each row):

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)),   dxhat = dy * gamma

whose three terms are the direct path and the paths through the mean and through the variance.
Row reductions go through BLAS (matrix-vector products, einsum) and updates happen in place on arrays
this module allocated itself, never on the caller's.
"""

import numpy as np


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
