# mistake: staged backprop drops the 1/2 of d sqrt(u)/du, so the path through the root mean square is doubled
# caught-by: examples, hidden, gradcheck
# diagnosis: twice too large
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    d = x.shape[1]
    ms = np.sum(x * x, axis=1, keepdims=True) / d
    rms = np.sqrt(ms + eps)
    y = x / rms * gamma
    return y, (x, rms, gamma)


def rmsnorm_backward(dy, cache):
    x, rms, gamma = cache
    d = x.shape[1]
    dgamma = np.sum(dy * x / rms, axis=0)
    dxhat = dy * gamma
    drms = -np.sum(dxhat * x, axis=1, keepdims=True) / rms ** 2
    dms = drms / rms  # d sqrt(u) = du / (2 sqrt(u)): the 2 went missing
    dx = dxhat / rms + dms * 2 * x / d
    return dx, dgamma
