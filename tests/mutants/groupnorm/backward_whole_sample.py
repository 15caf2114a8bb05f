# mistake: forward groups correctly, but backward reuses LayerNorm's backward on x_hat.reshape(N, -1): its means run over each whole sample, as if G = 1
# caught-by: examples, hidden, gradcheck
# diagnosis: as if G = 1
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
    rstd = np.broadcast_to(1.0 / np.sqrt(var + eps), (N, G, C // G, H, W)).reshape(N, -1)
    dxhat = (dout * gamma).reshape(N, -1)
    xh = x_hat.reshape(N, -1)
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - xh * (dxhat * xh).mean(axis=1, keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta
