"""Reference solution for spatial_batchnorm: CS231n's batch normalization for (N, C, H, W) activations.

Each channel is one feature whose samples are all its N*H*W values, so the statistics reduce over the
axes (0, 2, 3), and gamma, beta and the running statistics are per channel, shape (C,). bn_param works as
in batchnorm_running: train mode folds the batch statistics into the running averages it stores back
into the dict, test mode normalizes with them.

The backward pass is batchnorm's closed form with M = N*H*W samples per channel:

    dx = gamma * rstd / M * (M * dout - sum(dout) - x_hat * sum(dout * x_hat)),   sums over (N, H, W).
"""

import numpy as np


def _per_channel(v):
    return v[:, None, None]  # (C,) -> (C, 1, 1): broadcasts over (N, C, H, W)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    n, c, h, w = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(c, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(c, dtype=x.dtype))

    if mode == "train":
        m = n * h * w
        mu = x.reshape(n, c, h * w).sum(axis=(0, 2)) / m
        x_hat = x - _per_channel(mu)
        var = np.einsum("nchw,nchw->c", x_hat, x_hat) / m
        rstd = 1.0 / np.sqrt(var + eps)
        x_hat *= _per_channel(rstd)
        out = x_hat * _per_channel(gamma)
        out += _per_channel(beta)
        cache = {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        scale = gamma / np.sqrt(running_var + eps)
        out = (x - _per_channel(running_mean)) * _per_channel(scale)
        out += _per_channel(beta)
        out = out.astype(x.dtype, copy=False)
        cache = None
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    n, c, h, w = dout.shape
    m = n * h * w
    dbeta = dout.reshape(n, c, h * w).sum(axis=(0, 2))
    dgamma = np.einsum("nchw,nchw->c", dout, x_hat)
    dx = x_hat * _per_channel(dgamma)
    dx += _per_channel(dbeta)
    np.subtract(m * dout, dx, out=dx)
    dx *= _per_channel(gamma * rstd / m)
    return dx, dgamma, dbeta
