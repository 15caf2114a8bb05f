# mistake: eps = ln_param['eps'] raises KeyError when ln_param leaves it out (the notebook passes {} and {'mode': 'train'})
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: read it with ln_param.get\('eps', 1e-5\)
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param['eps']
    mu = x.mean(axis=1, keepdims=True)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=1, keepdims=True)
    ivar = 1.0 / np.sqrt(var + eps)
    x_hat = xmu * ivar
    return gamma * x_hat + beta, {'x_hat': x_hat, 'ivar': ivar, 'gamma': gamma}


def layernorm_backward(dout, cache):
    x_hat, ivar, gamma = cache['x_hat'], cache['ivar'], cache['gamma']
    dx_hat = dout * gamma
    dx = ivar * (dx_hat - dx_hat.mean(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
