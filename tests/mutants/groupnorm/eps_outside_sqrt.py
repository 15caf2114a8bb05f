# mistake: eps added to the standard deviation: (x - mu) / (std + eps) instead of / sqrt(var + eps)
# caught-by: examples, hidden, gradcheck
# diagnosis: eps was added outside the square root
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    std = xg.std(axis=(2, 3, 4), keepdims=True)
    x_hat = ((xg - mean) / (std + eps)).reshape(N, C, H, W)
    return gamma * x_hat + beta, (x_hat, gamma, std + eps, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, denom, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, C // G, H, W)
    xh = x_hat.reshape(N, G, C // G, H, W)
    dx = (dxhat - dxhat.mean(axis=(2, 3, 4), keepdims=True)
          - xh * (dxhat * xh).mean(axis=(2, 3, 4), keepdims=True)) / denom
    return dx.reshape(N, C, H, W), dgamma, dbeta
