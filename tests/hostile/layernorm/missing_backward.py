# broken: backward not written at all
# within: 10
# expect: error/load: layernorm_backward is missing: define layernorm_backward\(dy, cache\)
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


