# mistake: preallocates float64 outputs (np.zeros(x.shape)), so float32 input comes back float64
# caught-by: contract, hidden
# diagnosis: expected dtype float32
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    y = np.zeros(x.shape)
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    y[:] = x_hat * gamma
    return y, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dx = np.zeros(x_hat.shape)
    dgamma = np.zeros(gamma.shape)
    dgamma[:] = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx[:] = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
