# mistake: forward normalizes x in place (x -= mu; x /= std), destroying the caller's batch
# caught-by: contract
# diagnosis: modified its input x in place
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    x -= x.mean(axis=0)
    std = np.sqrt((x ** 2).mean(axis=0) + eps)
    x /= std
    out = gamma * x + beta
    return out, {"x_hat": x.copy(), "std": std, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
