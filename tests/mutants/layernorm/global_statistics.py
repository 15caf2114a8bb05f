# mistake: mean and variance taken over the whole array (no axis), not per row
# caught-by: examples, hidden
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x)
    var = np.var(x)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, {"x_hat": x_hat, "var": var, "eps": eps, "gamma": gamma}


def layernorm_backward(dy, cache):
    x_hat, var, eps, gamma = cache["x_hat"], cache["var"], cache["eps"], cache["gamma"]
    m = dy.size
    dxhat = dy * gamma
    dx = (m * dxhat - dxhat.sum() - x_hat * (dxhat * x_hat).sum()) / (m * np.sqrt(var + eps))
    return dx, (dy * x_hat).sum(axis=0).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
