# mistake: normalizes each whole sample over (C, H, W), i.e. LayerNorm, whatever G is
# caught-by: examples, hidden
# diagnosis: that is LayerNorm
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N = x.shape[0]
    flat = x.reshape(N, -1)
    mean = flat.mean(axis=1, keepdims=True)
    var = flat.var(axis=1, keepdims=True)
    x_hat = ((flat - mean) / np.sqrt(var + eps)).reshape(x.shape)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, -1)
    xh = x_hat.reshape(N, -1)
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - xh * (dxhat * xh).mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
    return dx.reshape(dout.shape), dgamma, dbeta
