# mistake: forgets C in both passes: z = (1 - k*y) * y (right whenever C = 1, the default)
# caught-by: examples, hidden
# diagnosis: C was not applied
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    phi = 1 - k * y
    return phi * y, (y, rstd, phi)


def adanorm_backward(dz, cache):
    y, rstd, phi = cache
    g = dz * phi
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
