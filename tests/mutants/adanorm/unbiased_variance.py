# mistake: np.var(..., ddof=1): the unbiased variance, in both passes (consistent, so only the comparisons with the reference see it)
# caught-by: examples, hidden
# diagnosis: ddof=1
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    d = x.shape[1]
    xc = x - x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps)
    y = xc * rstd
    return C * (1 - k * y) * y, (xc, rstd, C, k, d)


def adanorm_backward(dz, cache):
    xc, rstd, C, k, d = cache
    y = xc * rstd
    g = dz * C * (1 - k * y)
    return rstd * (g - g.mean(axis=1, keepdims=True)) - xc * rstd**3 * (g * xc).sum(axis=1, keepdims=True) / (d - 1)
