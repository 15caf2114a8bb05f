# mistake: dgamma and dbeta are returned per example, (N, D), not summed over the batch
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(\d+, \d+\)
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, {"x_hat": x_hat, "var": var, "eps": eps, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, var, eps, gamma = cache["x_hat"], cache["var"], cache["eps"], cache["gamma"]
    N = dout.shape[0]
    dgamma = dout * x_hat
    dbeta = dout
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (N * np.sqrt(var + eps))
    return dx, dgamma, dbeta
