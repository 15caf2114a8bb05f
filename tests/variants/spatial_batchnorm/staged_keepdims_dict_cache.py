# variant: statistics with keepdims over (0, 2, 3), a staged backward through mean and variance nodes, running statistics kept as float64 and bn_param updated with dict.update
import numpy as np

AXES = (0, 2, 3)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    if mode not in ("train", "test"):
        raise ValueError("mode must be 'train' or 'test', not %r" % (mode,))
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    C = x.shape[1]
    g = gamma[None, :, None, None]
    b = beta[None, :, None, None]
    if mode == "test":
        rm = np.asarray(bn_param.get("running_mean", np.zeros(C)))[None, :, None, None]
        rv = np.asarray(bn_param.get("running_var", np.zeros(C)))[None, :, None, None]
        return (g * ((x - rm) / np.sqrt(rv + eps)) + b).astype(x.dtype), None

    mean = x.mean(axis=AXES, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=AXES, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = xc / std
    old_mean = np.asarray(bn_param.get("running_mean", np.zeros(C)), dtype=np.float64)
    old_var = np.asarray(bn_param.get("running_var", np.zeros(C)), dtype=np.float64)
    bn_param.update(
        running_mean=momentum * old_mean + (1.0 - momentum) * mean.ravel(),
        running_var=momentum * old_var + (1.0 - momentum) * var.ravel(),
    )
    return g * x_hat + b, {"xc": xc, "std": std, "x_hat": x_hat, "g": g}


def spatial_batchnorm_backward(dout, cache):
    xc, std, x_hat, g = cache["xc"], cache["std"], cache["x_hat"], cache["g"]
    m = dout.size // dout.shape[1]
    dbeta = dout.sum(axis=AXES)
    dgamma = (dout * x_hat).sum(axis=AXES)
    dx_hat = dout * g
    dstd = -(dx_hat * xc).sum(axis=AXES, keepdims=True) / std**2
    dvar = dstd / (2.0 * std)
    dxc = dx_hat / std + dvar * 2.0 * xc / m
    dmean = -dxc.sum(axis=AXES, keepdims=True)
    dx = dxc + dmean / m
    return dx, dgamma, dbeta
