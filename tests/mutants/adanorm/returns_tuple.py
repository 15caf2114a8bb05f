# mistake: backward returns (dx,), a one-element tuple, out of the habit of returning (dx, dgamma, dbeta)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: must return dx alone
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    return C * (1 - k * y) * y, (y, rstd, C, k)


def adanorm_backward(dz, cache):
    y, rstd, C, k = cache
    g = dz * C * (1 - k * y)
    return (rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True)),)
