# variant: the cache is an object that runs its own backward pass; statistics and sums in float64, results cast back to x's dtype
import numpy as np


class _Tape:
    def __init__(self, xhat, inv, c, gamma, W_gamma, W_beta, dtype):
        self.xhat, self.inv, self.c, self.gamma = xhat, inv, c, gamma
        self.W_gamma, self.W_beta, self.dtype = W_gamma, W_beta, dtype

    def backward(self, dy):
        dy = dy.astype(np.float64)
        d = dy.shape[1]
        g_rows = dy * self.xhat
        h = dy * self.gamma
        dx = self.inv * (d * h - h.sum(axis=1, keepdims=True) - self.xhat * (h * self.xhat).sum(axis=1, keepdims=True)) / d
        grads = (
            dx,
            g_rows @ self.W_gamma.T + dy @ self.W_beta.T,
            self.c.T @ g_rows,
            g_rows.sum(axis=0),
            self.c.T @ dy,
            dy.sum(axis=0),
        )
        return tuple(g.astype(self.dtype) for g in grads)


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    x64, c64 = x.astype(np.float64), c.astype(np.float64)
    Wg, Wb = W_gamma.astype(np.float64), W_beta.astype(np.float64)
    centered = x64 - x64.mean(axis=1)[:, None]
    inv = 1.0 / np.sqrt((centered ** 2).mean(axis=1)[:, None] + eps)
    xhat = centered * inv
    gamma = c64 @ Wg + b_gamma.astype(np.float64)
    beta = c64 @ Wb + b_beta.astype(np.float64)
    y = (xhat * gamma + beta).astype(x.dtype)
    return y, _Tape(xhat, inv, c64, gamma, Wg, Wb, x.dtype)


def conditional_layernorm_backward(dy, cache):
    return cache.backward(dy)
