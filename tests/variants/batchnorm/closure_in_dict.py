# variant: the cache dict holds a closure that performs the backward pass (a dict, as the spec asks)
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    n = x.shape[0]
    mu = np.mean(x, axis=0, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=0, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv
    out = x_hat * gamma + beta

    def backward(dout):
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        g = dout * gamma
        dvar = np.sum(g * xc, axis=0, keepdims=True) * -0.5 * inv ** 3
        dmu = -np.sum(g * inv, axis=0, keepdims=True)  # + dvar * mean(-2 xc), which is exactly 0
        dx = g * inv + dvar * 2.0 * xc / n + dmu / n
        return dx, dgamma, dbeta

    return out, {"backward": backward}


def batchnorm_backward(dout, cache):
    return cache["backward"](dout)
