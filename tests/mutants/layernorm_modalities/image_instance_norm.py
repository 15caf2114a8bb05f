# mistake: image statistics over (H, W) per channel (InstanceNorm) instead of (C, H, W) per image
# caught-by: examples, hidden
# diagnosis: InstanceNorm
import numpy as np


def image_layernorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    out = x_hat * gamma.reshape(1, C, 1, 1) + beta.reshape(1, C, 1, 1)
    return out, (x_hat, rstd, gamma)


def image_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    N, C, H, W = x_hat.shape
    M = H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dxhat = dout * gamma.reshape(1, C, 1, 1)
    mean1 = dxhat.mean(axis=(2, 3), keepdims=True)
    mean2 = (dxhat * x_hat).sum(axis=(2, 3), keepdims=True) / M
    dx = rstd * (dxhat - mean1 - x_hat * mean2)
    return dx, dgamma, dbeta


def text_layernorm_forward(x, gamma, beta, mask, eps=1e-5):
    m = mask[:, :, None]
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    out = np.where(m, x_hat * gamma + beta, 0.0).astype(x.dtype)
    return out, (x_hat, rstd, gamma, m)


def text_layernorm_backward(dout, cache):
    x_hat, rstd, gamma, m = cache
    D = x_hat.shape[-1]
    dout = np.where(m, dout, 0.0).astype(dout.dtype)
    x_hat = np.where(m, x_hat, 0.0).astype(x_hat.dtype)
    dbeta = dout.sum(axis=(0, 1))
    dgamma = (dout * x_hat).sum(axis=(0, 1))
    dxhat = dout * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis=-1, keepdims=True) / D)
    dx = np.where(m, dx, 0.0).astype(dout.dtype)
    return dx, dgamma, dbeta


def timeseries_layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=2, keepdims=True)
    var = x.var(axis=2, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, (x_hat, rstd, gamma)


def timeseries_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache
    F = x_hat.shape[2]
    dbeta = dout.sum(axis=(0, 1))
    dgamma = (dout * x_hat).sum(axis=(0, 1))
    dxhat = dout * gamma
    dx = rstd * (F * dxhat - dxhat.sum(axis=2, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis=2, keepdims=True)) / F
    return dx, dgamma, dbeta
