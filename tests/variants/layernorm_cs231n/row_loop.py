# variant: one example at a time in a Python loop (correct, so it passes; the speed row calls it not vectorized); eps looked up with `in`
# speed: not vectorized
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param["eps"] if "eps" in ln_param else 1e-5
    out = np.empty_like(x)
    rows = []
    for i in range(x.shape[0]):
        row = x[i]
        mu = row.sum() / row.size
        var = ((row - mu) ** 2).sum() / row.size
        inv = 1.0 / np.sqrt(var + eps)
        xhat = (row - mu) * inv
        out[i] = gamma * xhat + beta
        rows.append((xhat, inv))
    return out, (rows, gamma)


def layernorm_backward(dout, cache):
    rows, gamma = cache
    dx = np.empty_like(dout)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    for i, (xhat, inv) in enumerate(rows):
        dgamma += dout[i] * xhat
        dbeta += dout[i]
        g = dout[i] * gamma
        dx[i] = inv * (g - g.mean() - xhat * (g * xhat).mean())
    return dx, dgamma, dbeta
