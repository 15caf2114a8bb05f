# mistake: forward stores its intermediates in module globals; backward reads the latest forward's, not its cache
# caught-by: contract
# diagnosis: keep state out of globals
import numpy as np

_saved = {}


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    _saved["rstd"] = 1.0 / np.sqrt(var + eps)
    _saved["x_hat"] = (x - mu) * _saved["rstd"]
    _saved["gamma"] = gamma
    return _saved["x_hat"] * gamma + beta, None


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = _saved["x_hat"], _saved["rstd"], _saved["gamma"]
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
