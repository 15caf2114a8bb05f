# mistake: dgamma summed with keepdims=True, so it comes back (1, D) although gamma is (D,)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\) \(the shape of gamma\), got \(1, \d+\): sum over the batch \(axis 0\) without keepdims
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = np.sum(dy * x_hat, axis=0, keepdims=True)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
