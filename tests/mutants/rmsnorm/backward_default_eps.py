# mistake: backward recomputes the statistics from the cached x with the default eps, not the eps forward was given
# caught-by: hidden, gradcheck
# diagnosis: backward used eps=1e-05, not the eps=0.001 forward was given
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    return x * rstd * gamma, (x, gamma)


def rmsnorm_backward(dy, cache, eps=1e-5):
    x, gamma = cache
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
