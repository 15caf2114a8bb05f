# mistake: staged backprop that forgets that var depends on x: only the direct path and the path through the mean
# caught-by: examples, hidden, gradcheck
# diagnosis: dx is missing the path through the variance
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = xmu / std
    return gamma * x_hat + beta, (x_hat, std, gamma)


def layernorm_backward(dout, cache):
    x_hat, std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dxmu = dx_hat / std
    dmu = -np.sum(dxmu, axis=1, keepdims=True)
    dx = dxmu + dmu / dout.shape[1]
    return dx, dgamma, dbeta
