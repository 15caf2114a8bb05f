# mistake: the backward reads the transposed input (its shape, for the count) on the line before it assigns it: UnboundLocalError
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: UnboundLocalError
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    xt = x.T
    mu = xt.mean(axis=0)
    var = xt.var(axis=0)
    xhat = ((xt - mu) / np.sqrt(var + eps)).T
    return xhat * gamma + beta, (x, xhat, gamma, mu, var, eps)


def layernorm_backward(dout, cache):
    x, xhat, gamma, mu, var, eps = cache
    D = xt.shape[0]
    xt = x.T
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat_t = (dout * gamma).T
    dvar = np.sum(dxhat_t * (xt - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(dxhat_t, axis=0) / np.sqrt(var + eps)
    dx_t = dxhat_t / np.sqrt(var + eps) + dvar * 2 * (xt - mu) / D + dmu / D
    return dx_t.T, dgamma, dbeta
