# mistake: divides by np.std(x) + eps instead of sqrt(var + eps)
# caught-by: examples, hidden
# diagnosis: eps was added outside the square root
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True) + eps
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, (x_hat, std, gamma)


def layernorm_backward(dout, cache):
    x_hat, std, gamma = cache
    g = dout * gamma
    dx = (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
