# mistake: backward squeezes its per-group sums and rebuilds the shape from them: with one sample (N = 1) the batch axis is gone and the reshape raises
# caught-by: examples, hidden, gradcheck
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
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = x_hat.reshape(N, G, -1)
    m = xh.shape[2]
    s1 = np.sum(dxhat, axis=2).squeeze(0) if N == 1 else np.sum(dxhat, axis=2)
    s2 = np.sum(dxhat * xh, axis=2).squeeze(0) if N == 1 else np.sum(dxhat * xh, axis=2)
    n_groups = s1.shape[1]  # (N, G): with N == 1 this is no longer G
    rstd = 1.0 / np.sqrt(var.reshape(N, n_groups, 1) + eps)
    dx = rstd / m * (m * dxhat - s1[:, :, None] - xh * s2[:, :, None])
    return dx.reshape(N, C, H, W), dgamma, dbeta
