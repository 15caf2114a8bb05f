# mistake: keeps y and 1/sigma in module globals instead of the cache: a second forward call overwrites them
# caught-by: contract
# diagnosis: backward must use only the cache it is given
import numpy as np

_state = {}


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    y = (x - mu) * rstd
    _state.update(y=y, rstd=rstd, C=C, k=k)
    return C * (1 - k * y) * y, None


def adanorm_backward(dz, cache):
    y, rstd, C, k = _state["y"], _state["rstd"], _state["C"], _state["k"]
    g = dz * C * (1 - k * y)
    return rstd * (g - g.mean(axis=1, keepdims=True) - y * (g * y).mean(axis=1, keepdims=True))
