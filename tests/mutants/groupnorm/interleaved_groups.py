# mistake: reshapes to (N, C // G, G, H, W) and reduces over axes (1, 3, 4): each group holds channels G apart (c % G) instead of C/G consecutive ones
# caught-by: examples, hidden
# diagnosis: channels G apart
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, C // G, G, H, W)
    mean = xg.mean(axis=(1, 3, 4), keepdims=True)
    var = xg.var(axis=(1, 3, 4), keepdims=True)
    x_hat = ((xg - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, C // G, G, H, W)
    xh = x_hat.reshape(N, C // G, G, H, W)
    dx = (dxhat - dxhat.mean(axis=(1, 3, 4), keepdims=True)
          - xh * (dxhat * xh).mean(axis=(1, 3, 4), keepdims=True)) / np.sqrt(var + eps)
    return dx.reshape(N, C, H, W), dgamma, dbeta
