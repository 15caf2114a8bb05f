# mistake: centers the transposed view in place (x_T -= mean); x.T shares x's memory, so the caller's x is changed
# caught-by: contract
# diagnosis: modified its input x in place
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    x_T = x.T
    mean = x_T.mean(axis=0)
    var = x_T.var(axis=0)
    x_T -= mean
    x_hat = (x_T / np.sqrt(var + eps)).T
    return x_hat * gamma + beta, (x_hat, var, eps, gamma)


def layernorm_backward(dout, cache):
    x_hat, var, eps, gamma = cache
    D = dout.shape[1]
    g = dout * gamma
    dx = (D * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True)) / (D * np.sqrt(var + eps)[:, None])
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
