# mistake: var = mean(x**2) - mean(x)**2 per column (catastrophic cancellation when the mean is large)
# caught-by: hidden
# diagnosis: E\[x²\] − E\[x\]²
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0)
    var = np.mean(x * x, axis=0) - mu * mu
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    return gamma * x_hat + beta, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * rstd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
