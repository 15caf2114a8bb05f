"""Reference solution for batchnorm_running: CS231n's batch normalization with running statistics.

Train mode normalizes with the batch's mean and biased variance and folds them into the running averages
kept in bn_param (the dict is updated in place, as CS231n's layers expect); test mode normalizes with those
running averages and leaves them alone.

Two backward passes: `batchnorm_backward` walks the computational graph node by node (x -> mean -> centred
-> variance -> 1/std -> x_hat -> out), `batchnorm_backward_alt` uses the closed form those stages add up to,

    dx = gamma * rstd / N * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)),   sums over the batch,

whose two sums are dbeta and dgamma.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    n, d = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))

    if mode == "train":
        mu = np.ones(n, dtype=x.dtype) @ x / n
        xc = x - mu
        var = np.einsum("ij,ij->j", xc, xc) / n
        rstd = 1.0 / np.sqrt(var + eps)
        x_hat = xc * rstd
        out = x_hat * gamma
        out += beta
        cache = {"x_hat": x_hat, "xc": xc, "rstd": rstd, "gamma": gamma}
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        scale = gamma / np.sqrt(running_var + eps)
        out = (x - running_mean) * scale
        out += beta
        out = out.astype(x.dtype, copy=False)
        cache = None
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    return out, cache


def batchnorm_backward(dout, cache):
    """Stage by stage, in reverse: out = x_hat*gamma + beta, x_hat = xc*rstd, rstd = (var + eps)^-1/2,
    var = mean(xc^2), xc = x - mu, mu = mean(x)."""
    x_hat, xc, rstd, gamma = cache["x_hat"], cache["xc"], cache["rstd"], cache["gamma"]
    n = dout.shape[0]
    ones = np.ones(n, dtype=dout.dtype)
    dbeta = ones @ dout
    dgamma = np.einsum("ij,ij->j", dout, x_hat)
    dx_hat = dout * gamma
    drstd = np.einsum("ij,ij->j", dx_hat, xc)  # x_hat = xc * rstd
    dvar = -0.5 * rstd**3 * drstd  # rstd = (var + eps) ** -0.5
    dxc = dx_hat * rstd  # direct path of x_hat
    dxc += xc * (2.0 / n * dvar)  # var = mean(xc ** 2)
    dmu = -(ones @ dxc)  # xc = x - mu
    dxc += dmu / n  # mu = mean(x)
    return dxc, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    n = dout.shape[0]
    dbeta = np.ones(n, dtype=dout.dtype) @ dout
    dgamma = np.einsum("ij,ij->j", dout, x_hat)
    dx = x_hat * dgamma
    dx += dbeta
    np.subtract(n * dout, dx, out=dx)
    dx *= gamma * rstd / n
    return dx, dgamma, dbeta
