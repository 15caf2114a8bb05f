# mistake: eps read under the wrong key (ln_param.get('epsilon', 1e-5)), so an eps the caller passes is ignored
# caught-by: examples, hidden
# diagnosis: eps was ignored
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('epsilon', 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=1, keepdims=True)
    ivar = 1.0 / np.sqrt(var + eps)
    x_hat = xmu * ivar
    return gamma * x_hat + beta, (x_hat, ivar, gamma)


def layernorm_backward(dout, cache):
    x_hat, ivar, gamma = cache
    dx_hat = dout * gamma
    dx = ivar * (dx_hat - dx_hat.mean(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
