# mistake: the eps parameter is shadowed by a hard-coded 1e-5 inside the function
# caught-by: hidden
# diagnosis: eps was ignored
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    eps_ = 1e-5
    mu = x.sum(axis=0) / N
    var = ((x - mu) ** 2).sum(axis=0) / N
    std = np.sqrt(var + eps_)
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, {"x_hat": x_hat, "std": std, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / std / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
