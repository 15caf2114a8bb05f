# mistake: forward saves x_hat and friends as function attributes; backward ignores the cache it is given
# caught-by: contract
# diagnosis: keep state out of globals
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    rstd = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * rstd
    batchnorm_forward.saved = (x_hat, rstd, gamma)
    return gamma * x_hat + beta, {}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = batchnorm_forward.saved
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * rstd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
