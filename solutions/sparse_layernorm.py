"""Reference solution for sparse_layernorm: LayerNorm of CSR rows in O(nnz + N + D) time and memory.

Row i has D columns, k_i of them stored. Its statistics count the D - k_i implicit zeros without
visiting them:

    mu_i  = sum(stored) / D
    var_i = (sum((stored - mu_i)^2) + (D - k_i) * mu_i^2) / D     two passes: no E[x^2] - mu^2 cancellation

Per-row sums over the stored values are np.bincount over the row id of each stored value, which is
O(nnz + N) and, unlike np.add.reduceat, right for empty rows. The dense output never exists: the stored
positions get gamma_j * x_hat + beta_j, and mu and rstd say what every implicit zero became.

Backward (the loss sees the stored outputs only, so dout is 0 at the implicit positions): the dense
LayerNorm gradient restricted to the stored values, its row means still over all D columns:

    d_data = rstd * (dxhat - sum(dxhat) / D - x_hat * sum(dxhat * x_hat) / D),   dxhat = d_out * gamma_j
"""

import numpy as np


def sparse_layernorm_forward(data, indices, indptr, D, gamma, beta, eps=1e-5):
    dtype = data.dtype
    n = len(indptr) - 1
    counts = np.diff(indptr)
    rows = np.repeat(np.arange(n), counts)
    mu = np.bincount(rows, weights=data, minlength=n) / D
    centered = data - mu[rows].astype(dtype)
    implicit = (D - counts) * (mu * mu)
    var = (np.bincount(rows, weights=centered * centered, minlength=n) + implicit) / D
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = centered * rstd[rows].astype(dtype)
    gamma_s = gamma[indices]
    out_data = x_hat * gamma_s
    out_data += beta[indices]
    cache = (x_hat, rows, indices, gamma_s, rstd.astype(dtype), n, D)
    return out_data, mu.astype(dtype), rstd.astype(dtype), cache


def sparse_layernorm_backward(d_out, cache):
    x_hat, rows, indices, gamma_s, rstd, n, D = cache
    dtype = d_out.dtype
    dbeta = np.bincount(indices, weights=d_out, minlength=D).astype(dtype)
    dgamma = np.bincount(indices, weights=d_out * x_hat, minlength=D).astype(dtype)
    dxhat = d_out * gamma_s
    mean_dxhat = (np.bincount(rows, weights=dxhat, minlength=n) / D).astype(dtype)
    mean_dxhat_xhat = (np.bincount(rows, weights=dxhat * x_hat, minlength=n) / D).astype(dtype)
    d_data = x_hat * mean_dxhat_xhat[rows]
    d_data += mean_dxhat[rows]
    np.subtract(dxhat, d_data, out=d_data)
    d_data *= rstd[rows]
    return d_data, dgamma, dbeta


def sparse_layernorm_to_dense(out_data, mu, rstd, indices, indptr, gamma, beta):
    n = len(indptr) - 1
    y = np.multiply.outer(-mu * rstd, gamma)
    y += beta
    rows = np.repeat(np.arange(n), np.diff(indptr))
    y[rows, indices] = out_data
    return y
