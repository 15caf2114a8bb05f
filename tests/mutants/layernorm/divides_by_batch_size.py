# mistake: staged backprop divides the mean/variance gradients by N (the batch size, as in BatchNorm) instead of D
# caught-by: hidden, gradcheck
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1, keepdims=True)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=1, keepdims=True)
    istd = 1.0 / np.sqrt(var + eps)
    xhat = xmu * istd
    return gamma * xhat + beta, {"xhat": xhat, "xmu": xmu, "istd": istd, "gamma": gamma}


def layernorm_backward(dout, cache):
    xhat, xmu, istd, gamma = cache["xhat"], cache["xmu"], cache["istd"], cache["gamma"]
    N, D = dout.shape
    dbeta = dout.sum(axis=0).reshape(gamma.shape)
    dgamma = (dout * xhat).sum(axis=0).reshape(gamma.shape)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=1, keepdims=True) * -0.5 * istd ** 3
    dmu = -np.sum(dxhat * istd, axis=1, keepdims=True) - 2.0 * dvar * np.mean(xmu, axis=1, keepdims=True)
    dx = dxhat * istd + dvar * 2.0 * xmu / N + dmu / N
    return dx, dgamma, dbeta
