"""Reference solution for layernorm_module: LayerNorm as a layer object over any trailing shape.

Whatever the number of leading dimensions, x is viewed as a matrix of M = prod(leading) rows by
D = prod(normalized_shape) features, so the work is the one of a 2-D LayerNorm:

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat)),   dxhat = dout * gamma, means per row

and dgamma, dbeta sum over the M rows, then take gamma's shape. The object keeps what backward needs from
the most recent forward call (x_hat, rstd, the gamma it used, x's shape). Row reductions go through BLAS;
updates happen in place only on arrays allocated here, never on the caller's.
"""

import numbers

import numpy as np


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.gamma = np.ones(self.normalized_shape)
        self.beta = np.zeros(self.normalized_shape)
        self._saved = None

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(f"x's trailing dimensions {x.shape[x.ndim - k:]} are not {self.normalized_shape}")
        d = int(np.prod(self.normalized_shape))
        rows = x.reshape(-1, d)
        mu = (rows @ np.ones(d, dtype=x.dtype)) / d
        x_hat = rows - mu[:, None]
        var = np.einsum("ij,ij->i", x_hat, x_hat) / d
        rstd = 1.0 / np.sqrt(var + self.eps)
        x_hat *= rstd[:, None]
        gamma = np.asarray(self.gamma)
        y = x_hat * gamma.reshape(-1).astype(x.dtype, copy=False)
        y += np.asarray(self.beta).reshape(-1).astype(x.dtype, copy=False)
        self._saved = (x_hat, rstd, gamma, x.shape)
        return y.reshape(x.shape)

    def backward(self, dout):
        x_hat, rstd, gamma, shape = self._saved
        m, d = x_hat.shape
        dy = dout.reshape(m, d)
        dbeta = np.ones(m, dtype=dy.dtype) @ dy
        dgamma = np.einsum("ij,ij->j", dy, x_hat)
        dxhat = dy * gamma.reshape(-1).astype(dy.dtype, copy=False)
        mean_dxhat = (dxhat @ np.ones(d, dtype=dy.dtype)) / d
        mean_dxhat_xhat = np.einsum("ij,ij->i", dxhat, x_hat) / d
        dx = x_hat * mean_dxhat_xhat[:, None]
        dx += mean_dxhat[:, None]
        np.subtract(dxhat, dx, out=dx)
        dx *= rstd[:, None]
        return dx.reshape(shape), dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)
