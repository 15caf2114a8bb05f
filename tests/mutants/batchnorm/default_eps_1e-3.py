# mistake: default eps is 1e-3 (Keras's BatchNormalization default) instead of the spec's 1e-5
# caught-by: examples, hidden
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-3):
    mu = x.mean(axis=0)
    rstd = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * rstd
    return gamma * x_hat + beta, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * rstd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
