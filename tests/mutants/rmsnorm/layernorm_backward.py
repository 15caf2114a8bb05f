# mistake: forward is RMSNorm, but backward is LayerNorm's formula, with the -mean(dxhat) term of a mean that was never subtracted
# caught-by: examples, hidden, gradcheck
# diagnosis: LayerNorm's path through the mean
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * gamma, (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
