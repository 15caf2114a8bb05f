# mistake: backward recomputes 1/sqrt(var + eps) from x with the default eps, not the eps forward was given
# caught-by: hidden, gradcheck
# diagnosis: backward used eps=1e-05, not the eps=
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    y = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return C * (1 - k * y) * y, (x, C, k)


def adanorm_backward(dz, cache, eps=1e-5):
    x, C, k = cache
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - x.mean(axis=1, keepdims=True)) * rstd
    g = dz * C * (1 - k * y)
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
