# mistake: dgamma and dbeta are summed over axis 1 (the features) instead of axis 0 (the batch)
# caught-by: contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(\d+,\)
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    y = x_hat * gamma + beta
    return y, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    # "layernorm works on axis 1", so every reduction goes over axis 1
    dgamma = np.sum(dy * x_hat, axis=1)
    dbeta = np.sum(dy, axis=1)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
