# mistake: CS231n staged backprop that stops at x_hat -> x and mu, never propagating through var
# caught-by: hidden, gradcheck
# diagnosis: missing the path through the variance
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    mu = 1.0 / N * np.sum(x, axis=0)
    xmu = x - mu
    sq = xmu ** 2
    var = 1.0 / N * np.sum(sq, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    gammax = gamma * xhat
    out = gammax + beta
    cache = {"xhat": xhat, "gamma": gamma, "xmu": xmu, "ivar": ivar, "sqrtvar": sqrtvar, "var": var, "eps": eps}
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar = cache["xhat"], cache["gamma"], cache["xmu"], cache["ivar"]
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    dxmu1 = dxhat * ivar
    dx1 = dxmu1
    dmu = -1 * np.sum(dxmu1, axis=0)
    dx2 = 1.0 / N * np.ones_like(dout) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
