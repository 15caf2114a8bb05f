# mistake: phi = C * (1 + k*y), in both passes: large values are scaled up instead of down
# caught-by: examples, hidden
# diagnosis: sign of k is flipped
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    phi = C * (1 + k * y)
    return phi * y, (y, rstd, phi)


def adanorm_backward(dz, cache):
    y, rstd, phi = cache
    g = dz * phi
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
