# mistake: eps = ln_param.pop('eps', 1e-5) consumes the key, so the next call with the same dict (the next training step) silently uses 1e-5
# caught-by: contract, gradcheck
# diagnosis: layernorm_forward changed the dict: it went in as .*'eps': 0.5.* and came back as \{'mode': 'train'\}
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.pop('eps', 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    return gamma * x_hat + beta, (x_hat, rstd, gamma)


def layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    g = dout * gamma
    dx = rstd * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
