# mistake: staged backprop where d(xmu^2)/dxmu drops its factor 2 in the variance path
# caught-by: hidden, gradcheck
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    D = x.shape[1]
    mu = x.sum(axis=1, keepdims=True) / D
    xmu = x - mu
    var = (xmu ** 2).sum(axis=1, keepdims=True) / D
    std = np.sqrt(var + eps)
    xhat = xmu / std
    out = xhat * gamma + beta
    return out, (xhat, xmu, std, gamma)


def layernorm_backward(dout, cache):
    xhat, xmu, std, gamma = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0).reshape(gamma.shape)
    dgamma = (dout * xhat).sum(axis=0).reshape(gamma.shape)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=1, keepdims=True) * -0.5 * std ** -3
    dmu = np.sum(-dxhat / std, axis=1, keepdims=True) + dvar * np.mean(-2.0 * xmu, axis=1, keepdims=True)
    dx = dxhat / std + dvar * xmu / D + dmu / D
    return dx, dgamma, dbeta
