"""Reference solution for layernorm_modalities: LayerNorm for images, padded text and time series.

All three reduce to one kernel, "normalize each row of a 2-D view", chosen per layout:

    image        (N, C, H, W) -> (N, C*H*W)   one row per image; gamma, beta per channel
    text         (N, L, D)    -> (M, D)       one row per real token (padded tokens are left out)
    time series  (N, T, F)    -> (N*T, F)     one row per time step

With x_hat and rstd = 1/sqrt(var + eps) of every row in the cache, the input gradient of a row is

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)),   dxhat = dout * gamma

Padded tokens never enter a computation: they are dropped with the mask before the statistics and the
results are scattered back into zeros, so whatever the padding holds cannot reach y, dx, dgamma or dbeta.
Row reductions go through BLAS, and updates happen in place on arrays allocated here, never the caller's.
"""

import numpy as np


def _normalize_rows(rows, eps):
    """x_hat (a new array) and rstd of each row of a 2-D array."""
    k = rows.shape[1]
    mu = (rows @ np.ones(k, dtype=rows.dtype)) / k
    x_hat = rows - mu[:, None]
    var = np.einsum("ij,ij->i", x_hat, x_hat) / k
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat *= rstd[:, None]
    return x_hat, rstd


def _rows_backward(dxhat, x_hat, rstd):
    """The input gradient of row normalization; dxhat is consumed (used as scratch)."""
    k = x_hat.shape[1]
    mean_dxhat = (dxhat @ np.ones(k, dtype=dxhat.dtype)) / k
    mean_dxhat_xhat = np.einsum("ij,ij->i", dxhat, x_hat) / k
    dx = x_hat * mean_dxhat_xhat[:, None]
    dx += mean_dxhat[:, None]
    np.subtract(dxhat, dx, out=dx)
    dx *= rstd[:, None]
    return dx


# ---------------------------------------------------------------------- images: (N, C, H, W)
def image_layernorm_forward(x, gamma, beta, eps=1e-5):
    n, c = x.shape[:2]
    x_hat, rstd = _normalize_rows(x.reshape(n, -1), eps)
    x_hat = x_hat.reshape(x.shape)
    y = x_hat * gamma.reshape(1, c, 1, 1)
    y += beta.reshape(1, c, 1, 1)
    return y, (x_hat, rstd, gamma)


def image_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    n, c = x_hat.shape[:2]
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = np.einsum("nchw,nchw->c", dout, x_hat)
    dxhat = (dout * gamma.reshape(1, c, 1, 1)).reshape(n, -1)
    dx = _rows_backward(dxhat, x_hat.reshape(n, -1), rstd)
    return dx.reshape(x_hat.shape), dgamma, dbeta


# ---------------------------------------------------------------------- text: (N, L, D) with a padding mask
def text_layernorm_forward(x, gamma, beta, mask, eps=1e-5):
    d = x.shape[-1]
    real = np.asarray(mask, dtype=bool).reshape(-1)
    x_hat, rstd = _normalize_rows(x.reshape(-1, d)[real], eps)
    y = np.zeros_like(x)
    y.reshape(-1, d)[real] = x_hat * gamma + beta
    return y, (x_hat, rstd, gamma, real, x.shape)


def text_layernorm_backward(dout, cache):
    x_hat, rstd, gamma, real, shape = cache
    d = shape[-1]
    d_rows = dout.reshape(-1, d)[real]
    dbeta = d_rows.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", d_rows, x_hat)
    d_rows *= gamma
    dx = np.zeros(shape, dtype=dout.dtype)
    dx.reshape(-1, d)[real] = _rows_backward(d_rows, x_hat, rstd)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------- time series: (N, T, F)
def timeseries_layernorm_forward(x, gamma, beta, eps=1e-5):
    x_hat, rstd = _normalize_rows(x.reshape(-1, x.shape[-1]), eps)
    x_hat = x_hat.reshape(x.shape)
    y = x_hat * gamma
    y += beta
    return y, (x_hat, rstd, gamma)


def timeseries_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    f = x_hat.shape[-1]
    dbeta = dout.sum(axis=(0, 1))
    dgamma = np.einsum("ntf,ntf->f", dout, x_hat)
    dx = _rows_backward((dout * gamma).reshape(-1, f), x_hat.reshape(-1, f), rstd)
    return dx.reshape(x_hat.shape), dgamma, dbeta
