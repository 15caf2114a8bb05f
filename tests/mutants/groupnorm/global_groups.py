# mistake: forward remembers G in a module global and backward reads it, instead of keeping G in the cache
# caught-by: contract
# diagnosis: keep G \(and everything else backward needs\) in the cache
import numpy as np

GROUPS = None


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    global GROUPS
    GROUPS = G
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    rstd = 1.0 / np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = ((xg - mean) * rstd).reshape(N, C, H, W)
    rstd_full = np.broadcast_to(rstd, xg.shape).reshape(N, C, H, W)  # per element, so any grouping fits
    return gamma * x_hat + beta, (x_hat, gamma, rstd_full)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, rstd_full = cache
    G = GROUPS
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    shape = (N, G, C // G, H, W)
    dxhat = (dout * gamma).reshape(shape)
    xh = x_hat.reshape(shape)
    dx = rstd_full.reshape(shape) * (dxhat - dxhat.mean(axis=(2, 3, 4), keepdims=True)
                                     - xh * (dxhat * xh).mean(axis=(2, 3, 4), keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta
