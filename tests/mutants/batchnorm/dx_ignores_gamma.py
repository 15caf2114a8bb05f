# mistake: the closed-form dx leaves out the factor gamma
# caught-by: hidden, gradcheck
# diagnosis: dx ignores gamma
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    ivar = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * ivar
    return gamma * xhat + beta, {"xhat": xhat, "ivar": ivar, "gamma": gamma}


def batchnorm_backward(dout, cache):
    xhat, ivar = cache["xhat"], cache["ivar"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (1.0 / N) * ivar * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
