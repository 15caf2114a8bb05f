# mistake: variance as E[x^2] - E[x]^2, which cancels catastrophically when the mean is large
# caught-by: hidden
# diagnosis: E\[x²\] − E\[x\]²
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = (x ** 2).mean(axis=1, keepdims=True) - mu ** 2
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    return gamma * x_hat + beta, (x_hat, rstd, gamma)


def layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    g = dout * gamma
    dx = rstd * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
