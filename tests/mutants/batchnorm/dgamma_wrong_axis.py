# mistake: dgamma/dbeta summed over axis 1 instead of over the batch (axis 0)
# caught-by: contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(\d+,\)
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, {"x_hat": x_hat, "var": var, "eps": eps, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, var, eps, gamma = cache["x_hat"], cache["var"], cache["eps"], cache["gamma"]
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=1)
    dgamma = np.sum(dout * x_hat, axis=1)
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (N * np.sqrt(var + eps))
    return dx, dgamma, dbeta
