# mistake: subtracts the row mean before taking the root mean square: that is LayerNorm (without beta), not RMSNorm
# caught-by: examples, hidden
# diagnosis: that is LayerNorm
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    xc = x - x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=1, keepdims=True) + eps)
    x_hat = xc * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
