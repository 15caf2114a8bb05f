# mistake: squeezes the (N, G) statistics, so for G = 1 or N = 1 they lose an axis and mean[:, :, None] raises
# caught-by: examples, hidden, gradcheck
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, -1)
    mean = np.squeeze(xg.mean(axis=2))
    var = np.squeeze(xg.var(axis=2))
    x_hat = ((xg - mean[:, :, None]) / np.sqrt(var[:, :, None] + eps)).reshape(N, C, H, W)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = x_hat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True)
          - xh * (dxhat * xh).mean(axis=2, keepdims=True)) / np.sqrt(var[:, :, None] + eps)
    return dx.reshape(N, C, H, W), dgamma, dbeta
