# mistake: computes everything in float32 (to "save memory") and casts the results back to x.dtype
# caught-by: hidden, gradcheck
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    x32, g32, b32 = (a.astype(np.float32) for a in (x, gamma, beta))
    mu = x32.mean(axis=0)
    rstd = 1.0 / np.sqrt(x32.var(axis=0) + np.float32(eps))
    x_hat = (x32 - mu) * rstd
    out = (g32 * x_hat + b32).astype(x.dtype)
    return out, {"x_hat": x_hat, "rstd": rstd, "gamma": g32, "dtype": x.dtype.str}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    d = dout.astype(np.float32)
    N = d.shape[0]
    dbeta = d.sum(axis=0)
    dgamma = (d * x_hat).sum(axis=0)
    dx = gamma * rstd / N * (N * d - dbeta - x_hat * dgamma)
    dt = np.dtype(cache["dtype"])
    return dx.astype(dt), dgamma.astype(dt), dbeta.astype(dt)
