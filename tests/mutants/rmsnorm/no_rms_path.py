# mistake: backward treats the root mean square as a constant: dx = dy * gamma / rms, no path through mean(x**2)
# caught-by: examples, hidden, gradcheck
# diagnosis: missing the path through the root mean square
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dx = dy * gamma * rstd
    return dx, dgamma
