# mistake: test mode normalizes with the running statistics and forgets gamma and beta
# caught-by: examples, hidden
# diagnosis: dropped gamma and beta
import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, C, H, W = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    g = gamma.reshape(1, C, 1, 1)
    b = beta.reshape(1, C, 1, 1)

    out, cache = None, None
    if mode == "train":
        mu = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        istd = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu.reshape(1, C, 1, 1)) * istd.reshape(1, C, 1, 1)
        out = g * x_hat + b
        cache = (x_hat, gamma, istd)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        rm = running_mean.reshape(1, C, 1, 1)
        rv = running_var.reshape(1, C, 1, 1)
        out = (x - rm) / np.sqrt(rv + eps)
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    x_hat, gamma, istd = cache
    N, C, H, W = dout.shape
    M = N * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    scale = (gamma * istd / M).reshape(1, C, 1, 1)
    dx = scale * (M * dout - dbeta.reshape(1, C, 1, 1) - x_hat * dgamma.reshape(1, C, 1, 1))
    return dx, dgamma, dbeta
