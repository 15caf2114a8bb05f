# mistake: moves channels last, x.transpose(0, 2, 3, 1).reshape(N * H * W, C), and normalizes each group of C/G columns: statistics per pixel, not over the group's (C/G, H, W)
# caught-by: examples, hidden
# diagnosis: statistics were taken per pixel
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(N * H * W, G, C // G)
    mean = rows.mean(axis=2, keepdims=True)
    var = rows.var(axis=2, keepdims=True)
    x_hat = (rows - mean) / np.sqrt(var + eps)
    x_hat = x_hat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, var, eps, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).transpose(0, 2, 3, 1).reshape(N * H * W, G, C // G)
    xh = x_hat.transpose(0, 2, 3, 1).reshape(N * H * W, G, C // G)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True) - xh * (dxhat * xh).mean(axis=2, keepdims=True)) / np.sqrt(var + eps)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
