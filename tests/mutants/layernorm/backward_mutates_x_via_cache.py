# mistake: forward caches the caller's x itself; backward centers it in place (xc = cache["x"]; xc -= mu), corrupting the caller's x
# caught-by: contract
# diagnosis: through the cache\) modified its input x
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps) * gamma + beta
    return y, {"x": x, "mu": mu, "var": var, "eps": eps, "gamma": gamma}


def layernorm_backward(dy, cache):
    xc = cache["x"]
    xc -= cache["mu"]  # reuse the buffer: x is not needed any more ... (it is: it is the caller's x)
    rstd = 1.0 / np.sqrt(cache["var"] + cache["eps"])
    x_hat = xc * rstd
    gamma = cache["gamma"]
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dy * x_hat).sum(axis=0).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
