# mistake: eps added to the root mean square instead of inside the square root: x / (sqrt(mean(x**2)) + eps)
# caught-by: examples, hidden
# diagnosis: eps was added outside the square root|eps belongs inside the square root
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rms = np.sqrt(np.mean(x ** 2, axis=1, keepdims=True))
    x_hat = x / (rms + eps)
    return gamma * x_hat, (x, rms, eps, gamma)


def rmsnorm_backward(dy, cache):
    x, rms, eps, gamma = cache
    d = x.shape[1]
    denom = rms + eps
    x_hat = x / denom
    dgamma = np.sum(dy * x_hat, axis=0)
    dxhat = dy * gamma
    # d rms / dx = x / (D * rms)
    drms = -np.sum(dxhat * x, axis=1, keepdims=True) / denom ** 2
    dx = dxhat / denom + drms * x / (d * np.maximum(rms, 1e-300))
    return dx, dgamma
