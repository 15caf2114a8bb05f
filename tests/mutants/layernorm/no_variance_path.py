# mistake: staged backprop that forgets the path through the variance (no dvar term)
# caught-by: hidden, gradcheck
# diagnosis: missing the path through the variance
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    mu = 1.0 / D * np.sum(x, axis=1, keepdims=True)
    xmu = x - mu
    sq = xmu ** 2
    var = 1.0 / D * np.sum(sq, axis=1, keepdims=True)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    return out, cache


def layernorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0).reshape(gamma.shape)
    dgamma = np.sum(dout * xhat, axis=0).reshape(gamma.shape)
    dxhat = dout * gamma.reshape(1, -1)
    dxmu1 = dxhat * ivar
    # (forgot: divar -> dsqrtvar -> dvar -> dsq -> dxmu2)
    dx1 = dxmu1
    dmu = -1 * np.sum(dxmu1, axis=1, keepdims=True)
    dx2 = 1.0 / D * np.ones_like(dout) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
