# mistake: backward reuses dout as a buffer (dxhat = dout; dxhat *= gamma), modifying the caller's gradient
# caught-by: contract
# diagnosis: modified its input dout in place
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    rstd = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dxhat = dout
    dxhat *= gamma
    dx = rstd / N * (N * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
