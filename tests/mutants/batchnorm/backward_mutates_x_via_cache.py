# mistake: forward caches the caller's x; backward does xmu = cache["x"]; xmu -= mu (in place on the caller's x)
# caught-by: contract
# diagnosis: through the cache\) modified its input x
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return out, {"x": x, "mu": mu, "var": var, "eps": eps, "gamma": gamma}


def batchnorm_backward(dout, cache):
    xmu = cache["x"]
    xmu -= cache["mu"]
    rstd = 1.0 / np.sqrt(cache["var"] + cache["eps"])
    x_hat = xmu * rstd
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = cache["gamma"] * rstd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
