# variant: accumulates the statistics in float64 whatever the input dtype, then casts every result back
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    var = ((x64 - mean) ** 2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x64 - mean) * inv_std
    out = (x_hat * gamma + beta).astype(x.dtype)
    return out, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma.astype(np.float64), "dtype": x.dtype.name}


def batchnorm_backward(dout, cache):
    dtype = np.dtype(cache["dtype"])
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    d = dout.astype(np.float64)
    n = d.shape[0]
    dbeta = d.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", d, x_hat)
    dx = gamma * inv_std * (d - dbeta / n - x_hat * dgamma / n)
    return dx.astype(dtype), dgamma.astype(dtype), dbeta.astype(dtype)
