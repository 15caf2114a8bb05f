# hostile: replaces NumPy's functions in its own process with versions that burn CPU first, keeping the fast originals for itself: a reference timed in the same process would look ten times slower
# within: 20
# exit: 0
# expect: pass/speed: (^|slow: )(0\.[3-9]\d|[1-9]\d*\.\d\d)× the reference's CPU time
# speed-ratio-over: 0.3
"""A correct LayerNorm, and a NumPy that is slow for everyone else in this process."""

import time

import numpy as np

_einsum, _sqrt, _ones, _subtract = np.einsum, np.sqrt, np.ones, np.subtract


def _slowed(fn):
    def slow(*args, **kwargs):
        until = time.process_time() + 0.002
        while time.process_time() < until:
            pass
        return fn(*args, **kwargs)

    return slow


for _name in ("einsum", "sqrt", "ones", "subtract", "add", "multiply", "sum", "mean", "var", "dot", "matmul", "empty_like"):
    setattr(np, _name, _slowed(getattr(np, _name)))


def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    mu = (x @ _ones(d, dtype=x.dtype)) / d
    x_hat = x - mu[:, None]
    var = _einsum("ij,ij->i", x_hat, x_hat) / d
    rstd = 1.0 / _sqrt(var + eps)
    x_hat *= rstd[:, None]
    y = x_hat * gamma.reshape(-1)
    y += beta.reshape(-1)
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    d = x_hat.shape[1]
    dbeta = _ones(dy.shape[0], dtype=dy.dtype) @ dy
    dgamma = _einsum("ij,ij->j", dy, x_hat)
    dxhat = dy * gamma.reshape(-1)
    mean_dxhat = (dxhat @ _ones(d, dtype=dy.dtype)) / d
    mean_dxhat_xhat = _einsum("ij,ij->i", dxhat, x_hat) / d
    dx = x_hat * mean_dxhat_xhat[:, None]
    dx += mean_dxhat[:, None]
    _subtract(dxhat, dx, out=dx)
    dx *= rstd[:, None]
    return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)
