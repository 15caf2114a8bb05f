# hostile: remembers every result by the identity of its inputs (keeping them alive, so that no identity is reused), to answer repeated timed calls without work
# within: 20
# exit: 0
# expect: pass/speed: (^|slow: )(0\.[3-9]\d|[1-9]\d*\.\d\d)× the reference's CPU time
# speed-ratio-over: 0.3
"""A correct LayerNorm that never computes the same call twice."""

import functools

import numpy as np

_seen = {}


def _remembered(fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        key = (fn.__name__, tuple(map(id, args)), tuple(sorted(kwargs.items())))
        if key not in _seen:
            _seen[key] = (args, fn(*args, **kwargs))
        return _seen[key][1]

    return call


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


layernorm_forward = _remembered(layernorm_forward)
layernorm_backward = _remembered(layernorm_backward)
