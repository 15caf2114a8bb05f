# mistake: "GroupNorm" that is really InstanceNorm: statistics per channel over (H, W), G never used
# caught-by: examples, hidden
# diagnosis: that is InstanceNorm
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=(2, 3), keepdims=True)
          - x_hat * (dxhat * x_hat).mean(axis=(2, 3), keepdims=True)) / np.sqrt(var + eps)
    return dx, dgamma, dbeta
