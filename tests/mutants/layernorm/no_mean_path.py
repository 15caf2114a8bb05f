# mistake: dx keeps the variance path but drops the path through the mean (no -mean(dxhat) term)
# caught-by: examples, hidden, gradcheck
# diagnosis: missing the path through the mean
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=-1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(var + eps)
    xhat = xc * rstd
    return xhat * gamma + beta, dict(xhat=xhat, rstd=rstd, gamma=gamma)


def layernorm_backward(dy, cache):
    xhat, rstd, gamma = cache["xhat"], cache["rstd"], cache["gamma"]
    g = dy * gamma
    dx = rstd * (g - xhat * np.mean(g * xhat, axis=-1, keepdims=True))
    dgamma = np.sum(dy * xhat, axis=0).reshape(gamma.shape)
    dbeta = np.sum(dy, axis=0).reshape(gamma.shape)
    return dx, dgamma, dbeta
