# variant: CS231n-style staged backprop through every node of the graph, tuple cache
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    # step 1: mean of each row
    mu = 1.0 / D * np.sum(x, axis=1, keepdims=True)
    # step 2: subtract it
    xmu = x - mu
    # step 3-4: squared deviations and their mean (biased variance)
    sq = xmu ** 2
    var = 1.0 / D * np.sum(sq, axis=1, keepdims=True)
    # step 5-6: sqrt(var + eps) and its inverse
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    # step 7: normalize
    xhat = xmu * ivar
    # step 8-9: scale and shift
    gammax = gamma * xhat
    out = gammax + beta
    cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    return out, cache


def layernorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    # step 9
    dbeta = np.sum(dout, axis=0).reshape(gamma.shape)
    dgammax = dout
    # step 8
    dgamma = np.sum(dgammax * xhat, axis=0).reshape(gamma.shape)
    dxhat = dgammax * gamma
    # step 7
    divar = np.sum(dxhat * xmu, axis=1, keepdims=True)
    dxmu1 = dxhat * ivar
    # step 6
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    # step 5
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    # step 4
    dsq = 1.0 / D * np.ones_like(dout) * dvar
    # step 3
    dxmu2 = 2 * xmu * dsq
    # step 2
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=1, keepdims=True)
    # step 1
    dx2 = 1.0 / D * np.ones_like(dout) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
