# mistake: centers and scales x in place (x -= mu; x *= rstd) to save memory: the caller's x is overwritten
# caught-by: contract
# diagnosis: adanorm_forward modified its input x in place
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    x -= x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt((x * x).mean(axis=1, keepdims=True) + eps)
    x *= rstd
    return C * (1 - k * x) * x, (x, rstd, C, k)


def adanorm_backward(dz, cache):
    y, rstd, C, k = cache
    g = dz * C * (1 - k * y)
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
