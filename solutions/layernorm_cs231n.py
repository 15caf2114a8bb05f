"""Reference solution for layernorm_cs231n: CS231n's layernorm_forward / layernorm_backward signatures.

eps comes from ln_param (1e-5 when the key is missing); any other key of ln_param is ignored, and the dict
is not written to. The cache is (x_hat, rstd, gamma) with rstd = 1/sqrt(var + eps) per row, and the input
gradient is the sum of the direct path and the paths through the row mean and the row variance:

    dx = rstd / D * (D * dxhat - sum(dxhat) - x_hat * sum(dxhat * x_hat)),   dxhat = dout * gamma, sums per row

Row sums go through BLAS (matrix-vector products, einsum); in-place updates touch only arrays allocated here.
"""

import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    d = x.shape[1]
    ones = np.ones(d, dtype=x.dtype)
    x_hat = x - ((x @ ones) / d)[:, None]
    rstd = 1.0 / np.sqrt(np.einsum("ij,ij->i", x_hat, x_hat) / d + eps)
    x_hat *= rstd[:, None]
    out = x_hat * gamma
    out += beta
    return out, (x_hat, rstd, gamma)


def layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    d = x_hat.shape[1]
    dbeta = np.ones(dout.shape[0], dtype=dout.dtype) @ dout
    dgamma = np.einsum("ij,ij->j", dout, x_hat)
    dxhat = dout * gamma
    row_sum = dxhat @ np.ones(d, dtype=dout.dtype)
    row_proj = np.einsum("ij,ij->i", dxhat, x_hat)
    dx = x_hat * row_proj[:, None]
    dx += row_sum[:, None]
    np.subtract(d * dxhat, dx, out=dx)
    dx *= (rstd / d)[:, None]
    return dx, dgamma, dbeta
