# variant: slow but correct: Python loops over the rows, one row (a 1-D vector) at a time, dict cache
# speed: ^not vectorized: [\d.]+× the reference at 4096×16, .*\(a loop over rows\?\)
import math

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    g = gamma.reshape(-1)
    b = beta.reshape(-1)
    n, d = x.shape
    y = np.empty_like(x)
    x_hat = np.empty_like(x)
    inv_std = np.empty(n, dtype=x.dtype)
    for i in range(n):
        row = x[i]
        mean = row.sum() / d
        centered = row - mean
        variance = (centered * centered).sum() / d
        inv_std[i] = 1.0 / math.sqrt(float(variance) + eps)
        x_hat[i] = centered * inv_std[i]
        y[i] = x_hat[i] * g + b
    return y, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}


def layernorm_backward(dy, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    g = gamma.reshape(-1)
    n, d = dy.shape
    dx = np.empty_like(dy)
    dgamma = np.zeros(d, dtype=dy.dtype)
    dbeta = np.zeros(d, dtype=dy.dtype)
    for i in range(n):
        dgamma += dy[i] * x_hat[i]
        dbeta += dy[i]
        dxh = dy[i] * g
        dx[i] = inv_std[i] * (dxh - dxh.mean() - x_hat[i] * (dxh * x_hat[i]).mean())
    return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)
