# mistake: the mean square is taken down the batch (axis 0), one value per feature, instead of over each row
# caught-by: examples, hidden
# diagnosis: taken over axis 0
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=0, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=0, keepdims=True))
    return dx, dgamma
