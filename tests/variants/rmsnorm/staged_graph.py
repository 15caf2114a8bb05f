# variant: CS231n-style staged backprop through the computational graph (square, mean, +eps, sqrt, divide, scale), dict cache
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    N, D = x.shape
    sq = x ** 2
    ms = np.sum(sq, axis=1, keepdims=True) / D
    denom = np.sqrt(ms + eps)
    inv = 1.0 / denom
    x_hat = x * inv
    y = gamma * x_hat
    cache = {"x": x, "inv": inv, "denom": denom, "x_hat": x_hat, "gamma": gamma, "D": D}
    return y, cache


def rmsnorm_backward(dy, cache):
    x, inv, denom, x_hat, gamma, D = (cache[k] for k in ("x", "inv", "denom", "x_hat", "gamma", "D"))
    dgamma = np.sum(dy * x_hat, axis=0)
    dx_hat = dy * gamma
    # x_hat = x * inv
    dx = dx_hat * inv
    dinv = np.sum(dx_hat * x, axis=1, keepdims=True)
    # inv = 1 / denom
    ddenom = -dinv / denom ** 2
    # denom = sqrt(ms + eps)
    dms = ddenom * 0.5 / denom
    # ms = sum(sq) / D ; sq = x ** 2
    dsq = np.ones_like(x) * dms / D
    dx += 2 * x * dsq
    return dx, dgamma
