# mistake: forward returns only out; the cache is never returned
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: must return \(out, cache\)
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    x_hat = (x - mu) / np.sqrt(x.var(axis=0) + eps)
    return gamma * x_hat + beta


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * rstd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
