# variant: rms from np.linalg.norm / sqrt(D); the cache is an object; dx written in terms of x and rms**3
import numpy as np


class _Saved:
    def __init__(self, x, gamma, rms):
        self.x, self.gamma, self.rms = x, gamma, rms


def rmsnorm_forward(x, gamma, eps=1e-5):
    d = x.shape[-1]
    rms = np.sqrt(np.square(np.linalg.norm(x, axis=-1, keepdims=True)) / d + eps)
    return gamma * (x / rms), _Saved(x, gamma, rms)


def rmsnorm_backward(dy, cache):
    x, gamma, rms = cache.x, cache.gamma, cache.rms
    d = x.shape[-1]
    g = dy * gamma
    dgamma = np.einsum("nd,nd->d", dy, x / rms)
    dx = g / rms - x * (np.sum(g * x, axis=-1, keepdims=True) / (d * rms ** 3))
    return dx, dgamma
