# mistake: backward scales dy in place (dy *= gamma) to reuse its buffer: the caller's dy is overwritten
# caught-by: contract
# diagnosis: rmsnorm_backward modified its input dy in place
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dy *= gamma
    dx = rstd * (dy - x_hat * (dy * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
