# mistake: forward keeps its intermediates in module globals; backward reads the latest forward's, not its cache
# caught-by: contract
# diagnosis: keep state out of globals
import numpy as np

_last = {}


def rmsnorm_forward(x, gamma, eps=1e-5):
    _last["rstd"] = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    _last["x_hat"] = x * _last["rstd"]
    _last["gamma"] = gamma
    return _last["x_hat"] * gamma, None


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = _last["x_hat"], _last["rstd"], _last["gamma"]
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
