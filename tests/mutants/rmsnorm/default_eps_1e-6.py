# mistake: the default eps is 1e-6 (as in LLaMA's RMSNorm) instead of the spec's 1e-5
# caught-by: examples, hidden
# diagnosis: your eps defaults to 1e-06
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-6):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma

