# mistake: staged backprop through ms = mean(x**2) uses a sum: dms/dx = 2x instead of 2x / D
# caught-by: examples, hidden, gradcheck
# diagnosis: the 1/D is missing
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    ms = np.mean(x ** 2, axis=1, keepdims=True)
    denom = np.sqrt(ms + eps)
    y = gamma * (x / denom)
    return y, {"x": x, "denom": denom, "gamma": gamma}


def rmsnorm_backward(dy, cache):
    x, denom, gamma = cache["x"], cache["denom"], cache["gamma"]
    dgamma = np.sum(dy * x / denom, axis=0)
    dxhat = dy * gamma
    ddenom = -np.sum(dxhat * x, axis=1, keepdims=True) / denom ** 2
    dms = ddenom * 0.5 / denom
    dx = dxhat / denom + dms * 2 * x
    return dx, dgamma
