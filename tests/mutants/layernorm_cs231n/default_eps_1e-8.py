# mistake: eps = ln_param.get('eps', 1e-8): the default when ln_param has no 'eps' is 1e-8, not 1e-5
# caught-by: examples, hidden
# diagnosis: ln_param has no 'eps' key here and your code used eps = 1e-08
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-8)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    cache = (x_hat, gamma, var, eps)
    return out, cache


def layernorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (D * dx_hat - np.sum(dx_hat, axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta
