# variant: np.add.reduceat over the non-empty rows only (empty rows keep 0), float64 statistics, an object cache, staged backprop through mu and var; to_dense fully vectorized
import numpy as np


def _row_sums(values, indptr):
    n = len(indptr) - 1
    counts = np.diff(indptr)
    out = np.zeros(n)
    nonempty = counts > 0
    if values.size:
        out[nonempty] = np.add.reduceat(values.astype(np.float64), indptr[:-1][nonempty])
    return out


class _SparseLNCache:
    pass


def sparse_layernorm_forward(data, indices, indptr, D, gamma, beta, eps=1e-5):
    counts = np.diff(indptr)
    row = np.repeat(np.arange(len(counts)), counts)
    mu = _row_sums(data, indptr) / D
    xmu = data - mu[row]
    var = (_row_sums(xmu * xmu, indptr) + (D - counts) * mu * mu) / D
    std = np.sqrt(var + eps)
    x_hat = xmu / std[row]
    c = _SparseLNCache()
    c.indptr, c.row, c.cols, c.D = indptr, row, indices, D
    c.xmu, c.mu, c.var, c.std, c.x_hat, c.counts, c.gamma = xmu, mu, var, std, x_hat, counts, gamma
    out_data = (gamma[indices] * x_hat + beta[indices]).astype(data.dtype)
    return out_data, mu.astype(data.dtype), (1.0 / std).astype(data.dtype), c


def sparse_layernorm_backward(d_out, c):
    D, row, cols = c.D, c.row, c.cols
    dt = d_out.dtype
    dbeta = np.zeros(D)
    np.add.at(dbeta, cols, d_out)
    dgamma = np.zeros(D)
    np.add.at(dgamma, cols, d_out * c.x_hat)
    dxhat = d_out * c.gamma[cols]
    # x_hat = xmu / std: the direct path and the path through std (var)
    dxmu = dxhat / c.std[row]
    dstd = -_row_sums(dxhat * c.xmu, c.indptr) / (c.std ** 2)
    dvar = dstd / (2 * c.std)
    # var = (sum_stored xmu^2 + (D - k) mu^2) / D, with xmu = x - mu: d var / d x_p = 2 (x_p - mu) / D
    dx = dxmu + dvar[row] * 2 * c.xmu / D
    # mu = sum(x) / D; the output depends on mu through xmu (stored) only: var's own mu-dependence cancels
    dmu = -_row_sums(dxmu, c.indptr)
    dx = dx + dmu[row] / D
    return dx.astype(dt), dgamma.astype(dt), dbeta.astype(dt)


def sparse_layernorm_to_dense(out_data, mu, rstd, indices, indptr, gamma, beta):
    n = len(indptr) - 1
    y = np.outer(-mu * rstd, gamma) + beta
    y[np.repeat(np.arange(n), np.diff(indptr)), indices] = out_data
    return y.astype(out_data.dtype)
