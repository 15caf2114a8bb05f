# mistake: no eps at all: x / sqrt(mean(x**2)); a row of zeros divides 0 by 0
# caught-by: examples, contract, hidden
# diagnosis: NaN or inf for a row of zeros
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rms = np.sqrt(np.mean(x * x, axis=1, keepdims=True))
    x_hat = x / rms
    return x_hat * gamma, (x_hat, 1.0 / rms, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma

