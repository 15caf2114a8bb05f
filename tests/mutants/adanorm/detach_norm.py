# mistake: detaches everything it can: phi, the mean and the standard deviation, so dx = dz * phi / sigma (the paper's DetachNorm)
# caught-by: examples, hidden, gradcheck
# diagnosis: DetachNorm
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    phi = C * (1 - k * y)
    return phi * y, (phi, rstd)


def adanorm_backward(dz, cache):
    phi, rstd = cache
    return dz * phi * rstd
