# mistake: variance computed in one pass as E[x^2] - E[x]^2 (cancels catastrophically for a large mean)
# caught-by: hidden
# diagnosis: E\[x²\] − E\[x\]²
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    mean_sq = (x ** 2).mean(axis=1, keepdims=True)
    var = mean_sq - mean ** 2
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * rstd
    return x_hat * gamma + beta, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
