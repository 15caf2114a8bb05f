# mistake: dgamma multiplies dy by the raw x instead of the normalized x_hat
# caught-by: examples, hidden, gradcheck
# diagnosis: dgamma used x instead of the normalized
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, {"x": x, "x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def layernorm_backward(dy, cache):
    x, x_hat, rstd, gamma = cache["x"], cache["x_hat"], cache["rstd"], cache["gamma"]
    dgamma = np.sum(dy * x, axis=0).reshape(gamma.shape)
    dbeta = np.sum(dy, axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
