# variant: slow but correct: a Python loop over the rows with O(k) work each (slices of data, never a dense row), list cache
# speed: ^not vectorized: .*a loop over rows\?
import math

import numpy as np


def sparse_layernorm_forward(data, indices, indptr, D, gamma, beta, eps=1e-5):
    n = len(indptr) - 1
    out = np.empty_like(data)
    mu = np.empty(n, dtype=data.dtype)
    rstd = np.empty(n, dtype=data.dtype)
    x_hat = np.empty(data.shape, dtype=np.float64)
    for i in range(n):
        a, b = indptr[i], indptr[i + 1]
        vals = data[a:b].astype(np.float64)
        m = vals.sum() / D
        dev = vals - m
        var = (float(dev @ dev) + (D - (b - a)) * m * m) / D
        r = 1.0 / math.sqrt(var + eps)
        x_hat[a:b] = dev * r
        cols = indices[a:b]
        out[a:b] = gamma[cols] * x_hat[a:b] + beta[cols]
        mu[i], rstd[i] = m, r
    return out, mu, rstd, [x_hat, rstd.astype(np.float64), indices, indptr, gamma, D]


def sparse_layernorm_backward(d_out, cache):
    x_hat, rstd, indices, indptr, gamma, D = cache
    d_data = np.empty_like(d_out)
    dgamma = np.zeros(D, dtype=d_out.dtype)
    dbeta = np.zeros(D, dtype=d_out.dtype)
    np.add.at(dbeta, indices, d_out)
    np.add.at(dgamma, indices, d_out * x_hat)
    for i in range(len(indptr) - 1):
        a, b = indptr[i], indptr[i + 1]
        if a == b:
            continue
        g = d_out[a:b] * gamma[indices[a:b]]
        xh = x_hat[a:b]
        d_data[a:b] = rstd[i] * (g - g.sum() / D - xh * float(g @ xh) / D)
    return d_data, dgamma, dbeta


def sparse_layernorm_to_dense(out_data, mu, rstd, indices, indptr, gamma, beta):
    y = np.empty((len(mu), len(gamma)), dtype=out_data.dtype)
    for i in range(len(mu)):
        y[i] = gamma * (-mu[i] * rstd[i]) + beta
        a, b = indptr[i], indptr[i + 1]
        y[i, indices[a:b]] = out_data[a:b]
    return y
