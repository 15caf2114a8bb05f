# mistake: detaches the wrong factor: z = phi(y) * y.detach(), so the gradient flows through phi (dz * -C*k*y) and not through y
# caught-by: examples, hidden, gradcheck
# diagnosis: wrong factor was held constant
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    return C * (1 - k * y) * y, (y, rstd, C, k)


def adanorm_backward(dz, cache):
    y, rstd, C, k = cache
    g = dz * (-C * k * y)  # d phi / dy, with the y factor "frozen" to... nothing
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
