# hostile: replaces exec and compile with versions that print every source text they are given, hoping for the reference solution the speed row once sent into this process
# within: 20
# exit: 0
# expect: pass/speed: (^|slow: )(0\.[3-9]\d|[1-9]\d*\.\d\d)× the reference's CPU time
"""A correct LayerNorm that shows whatever code passes through exec or compile in its process."""

import builtins

import numpy as np

_exec, _compile = builtins.exec, builtins.compile


def _shown(source):
    text = source.decode(errors="replace") if isinstance(source, bytes) else source
    if isinstance(text, str):
        print("SOURCE SEEN:", text, flush=True)


def _exec_and_show(source, *args, **kwargs):
    _shown(source)
    return _exec(source, *args, **kwargs)


def _compile_and_show(source, *args, **kwargs):
    _shown(source)
    return _compile(source, *args, **kwargs)


builtins.exec, builtins.compile = _exec_and_show, _compile_and_show


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
