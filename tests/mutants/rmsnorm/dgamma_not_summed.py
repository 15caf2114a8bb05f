# mistake: dgamma is left per example (dy * x_hat, shape (N, D)) instead of summed over the batch
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\) \(the shape of gamma\), got \(\d+, \d+\)
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = dy * x_hat
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
