# mistake: eps outside the square root: (x - mu) / (x.std(axis=0) + eps)
# caught-by: hidden
# diagnosis: eps was added outside the square root
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    sigma = x.std(axis=0) + eps
    xhat = (x - mu) / sigma
    return gamma * xhat + beta, {"xhat": xhat, "sigma": sigma, "gamma": gamma}


def batchnorm_backward(dout, cache):
    xhat, sigma, gamma = cache["xhat"], cache["sigma"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = gamma / (N * sigma) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
