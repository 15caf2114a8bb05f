# variant: the textbook 5-D view (N, G, C // G, H, W) with keepdims statistics, an object as the cache, sums instead of means in the backward pass, gamma broadcast through np.reshape of its flattened values
import numpy as np


class _GroupNormTape:
    def __init__(self, x_hat, inv_std, gamma, groups):
        self.x_hat, self.inv_std, self.gamma, self.groups = x_hat, inv_std, gamma, groups


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param["eps"] if "eps" in gn_param else 1e-5
    n, c, h, w = x.shape
    grouped = x.reshape(n, G, c // G, h, w)
    centered = grouped - np.mean(grouped, axis=(2, 3, 4), keepdims=True)
    inv_std = 1.0 / np.sqrt(np.mean(centered ** 2, axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = centered * inv_std
    g5 = np.reshape(gamma.ravel(), (1, G, c // G, 1, 1))
    b5 = np.reshape(beta.ravel(), (1, G, c // G, 1, 1))
    out = (x_hat * g5 + b5).reshape(n, c, h, w)
    return out, _GroupNormTape(x_hat, inv_std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    G, x_hat, inv_std, gamma = cache.groups, cache.x_hat, cache.inv_std, cache.gamma
    d5 = dout.reshape(n, G, c // G, h, w)
    dgamma = np.sum(d5 * x_hat, axis=(0, 3, 4)).reshape(gamma.shape)
    dbeta = np.sum(d5, axis=(0, 3, 4)).reshape(gamma.shape)
    dxhat = d5 * np.reshape(gamma.ravel(), (1, G, c // G, 1, 1))
    m = (c // G) * h * w
    s1 = np.sum(dxhat, axis=(2, 3, 4), keepdims=True)
    s2 = np.sum(dxhat * x_hat, axis=(2, 3, 4), keepdims=True)
    dx = inv_std / m * (m * dxhat - s1 - x_hat * s2)
    return dx.reshape(n, c, h, w), dgamma, dbeta
