# mistake: staged backward divides the group sums by H * W (the spatial size) instead of the group's (C/G) * H * W elements
# caught-by: examples, hidden, gradcheck
# diagnosis: divided its sums by H·W
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    var = xg.var(axis=(2, 3, 4), keepdims=True)
    x_hat = ((xg - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, var, eps, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps, G = cache
    N, C, H, W = dout.shape
    m = H * W
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, C // G, H, W)
    xh = x_hat.reshape(N, G, C // G, H, W)
    rstd = 1.0 / np.sqrt(var + eps)
    dvar = np.sum(dxhat * xh, axis=(2, 3, 4), keepdims=True) * -0.5 * rstd ** 2
    dmean = -np.sum(dxhat, axis=(2, 3, 4), keepdims=True) * rstd
    dx = dxhat * rstd + dvar * 2 * xh / rstd / m + dmean / m
    return dx.reshape(N, C, H, W), dgamma, dbeta
