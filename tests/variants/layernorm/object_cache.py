# variant: the cache is an instance of a small class that knows how to run its own backward pass
import numpy as np


class _LayerNormTape:
    def __init__(self, x_hat, rstd, gamma):
        self.x_hat = x_hat
        self.rstd = rstd
        self.gamma = gamma

    def backward(self, dy):
        dbeta = dy.sum(axis=0)
        dgamma = np.einsum("nd,nd->d", dy, self.x_hat)
        dxhat = dy * self.gamma
        d = dy.shape[-1]
        proj = np.einsum("nd,nd->n", dxhat, self.x_hat)[:, None] / d
        dx = self.rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True) - self.x_hat * proj)
        return dx, dgamma.reshape(np.shape(self.gamma)), dbeta.reshape(np.shape(self.gamma))


def layernorm_forward(x, gamma, beta, eps=1e-5):
    centered = x - x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(np.square(centered), axis=-1, keepdims=True) + eps)
    x_hat = centered * rstd
    return np.add(np.multiply(x_hat, gamma), beta), _LayerNormTape(x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    return cache.backward(dy)
