# mistake: "division-by-zero guard" in the style of sklearn's StandardScaler: rows with zero variance get std = 1 (so dx is 1/sqrt(eps) ≈ 316× too small for them)
# caught-by: hidden
# diagnosis: special-cased with std = 1
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    std[var == 0] = 1.0
    x_hat = (x - mu) / std
    return x_hat * gamma + beta, (x_hat, std, gamma)


def layernorm_backward(dy, cache):
    x_hat, std, gamma = cache
    dxhat = dy * gamma
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, (dy * x_hat).sum(axis=0).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
