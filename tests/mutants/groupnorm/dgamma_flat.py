# mistake: dgamma and dbeta summed over (0, 2, 3) without keepdims: they come back (C,), not gamma's (1, C, 1, 1)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(1, \d+, 1, 1\) \(the shape of gamma\), got \(\d+,\): keep the summed axes
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
    dbeta = np.sum(dout, axis=(0, 2, 3))
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))
    dxhat = (dout * gamma).reshape(N, G, C // G, H, W)
    xh = x_hat.reshape(N, G, C // G, H, W)
    dx = (dxhat - dxhat.mean(axis=(2, 3, 4), keepdims=True)
          - xh * (dxhat * xh).mean(axis=(2, 3, 4), keepdims=True)) / np.sqrt(var + eps)
    return dx.reshape(N, C, H, W), dgamma, dbeta
