# variant: the staged backward loops over the columns (slow but right); a dict cache; running statistics kept in float64 whatever x's dtype
# speed: ^not vectorized\? your batchnorm_backward takes [\d.]+× the reference at 16×4096, .*\(a loop over columns\?\)
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    if mode == "train":
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mu) / std
        rm = np.asarray(bn_param.get("running_mean", np.zeros(d)), dtype=np.float64)
        rv = np.asarray(bn_param.get("running_var", np.zeros(d)), dtype=np.float64)
        bn_param["running_mean"] = momentum * rm + (1 - momentum) * mu.astype(np.float64)
        bn_param["running_var"] = momentum * rv + (1 - momentum) * var.astype(np.float64)
        return gamma * x_hat + beta, {"x_hat": x_hat, "std": std, "gamma": gamma}
    if mode == "test":
        rm = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
        rv = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
        return gamma * ((x - rm) / np.sqrt(rv + eps)) + beta, None
    raise ValueError("bn_param['mode'] must be 'train' or 'test'")


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    n, d = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(d, dtype=dout.dtype)
    dbeta = np.empty(d, dtype=dout.dtype)
    for j in range(d):
        g, xh = dout[:, j], x_hat[:, j]
        dbeta[j] = g.sum()
        dgamma[j] = (g * xh).sum()
        dxh = g * gamma[j]
        dx[:, j] = (dxh - dxh.mean() - xh * (dxh * xh).mean()) / std[j]
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    return gamma / (n * std) * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta
