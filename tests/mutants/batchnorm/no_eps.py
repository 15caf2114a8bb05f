# mistake: no eps at all: x_hat = (x - mu) / x.std(axis=0), NaN for a constant column
# caught-by: contract, hidden
# diagnosis: NaN or inf when the variance is 0|eps was left out
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    std = x.std(axis=0)
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, {"x_hat": x_hat, "std": std, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
