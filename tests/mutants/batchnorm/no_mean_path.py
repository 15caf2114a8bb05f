# mistake: dx has the variance term but treats the batch mean as a constant (no -mean(dxhat) term)
# caught-by: examples, hidden, gradcheck
# diagnosis: missing the path through the mean
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(0)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc ** 2).mean(0) + eps)
    xh = xc * rstd
    return xh * gamma + beta, {"xh": xh, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    xh, rstd, gamma = cache["xh"], cache["rstd"], cache["gamma"]
    n = dout.shape[0]
    dbeta = dout.sum(0)
    dgamma = (dout * xh).sum(0)
    dx = gamma * rstd / n * (n * dout - xh * dgamma)
    return dx, dgamma, dbeta
