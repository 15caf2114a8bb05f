"""Reference solution for conditional_layernorm.

Each row is normalized as in LayerNorm; its scale and shift come from the row's condition c through two
linear maps, so gamma and beta are (N, D) matrices instead of (D,) vectors:

    gamma = c @ W_gamma + b_gamma        beta = c @ W_beta + b_beta        y = gamma * x_hat + beta

Backward, dL/dgamma = dy * x_hat and dL/dbeta = dy row by row; each then goes back through its linear map
(weights: c.T @ ..., biases: sum over rows, condition: ... @ W.T, both maps adding up in dc). The input
gradient is LayerNorm's, with the per-row gamma inside dxhat = dy * gamma:

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)),   means over each row

Row reductions go through BLAS; updates happen in place only on arrays allocated here.
"""

import numpy as np


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    d = x.shape[1]
    mu = (x @ np.ones(d, dtype=x.dtype)) / d
    x_hat = x - mu[:, None]
    var = np.einsum("ij,ij->i", x_hat, x_hat) / d
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat *= rstd[:, None]
    gamma = c @ W_gamma
    gamma += b_gamma.reshape(-1)
    y = c @ W_beta
    y += b_beta.reshape(-1)
    y += x_hat * gamma
    return y, (x_hat, rstd, c, gamma, W_gamma, W_beta, b_gamma.shape, b_beta.shape)


def conditional_layernorm_backward(dy, cache):
    x_hat, rstd, c, gamma, W_gamma, W_beta, b_gamma_shape, b_beta_shape = cache
    n, d = x_hat.shape
    ones_n = np.ones(n, dtype=dy.dtype)
    dgamma = dy * x_hat  # dL/dgamma, row by row
    dW_gamma = c.T @ dgamma
    db_gamma = ones_n @ dgamma
    dW_beta = c.T @ dy
    db_beta = ones_n @ dy
    dc = dgamma @ W_gamma.T
    dc += dy @ W_beta.T
    dxhat = dy * gamma
    mean_dxhat = (dxhat @ np.ones(d, dtype=dy.dtype)) / d
    mean_dxhat_xhat = np.einsum("ij,ij->i", dxhat, x_hat) / d
    dx = x_hat * mean_dxhat_xhat[:, None]
    dx += mean_dxhat[:, None]
    np.subtract(dxhat, dx, out=dx)
    dx *= rstd[:, None]
    return dx, dc, dW_gamma, db_gamma.reshape(b_gamma_shape), dW_beta, db_beta.reshape(b_beta_shape)
