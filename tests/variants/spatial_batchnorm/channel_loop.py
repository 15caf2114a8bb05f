# variant: one channel at a time in a Python loop (correct; the speed row names the loop over channels on the 1×4096×4×4 probe)
# speed: ^not vectorized: [\d.]+× the reference at 1×4096×4×4, .*\(a loop over channels\?\)
import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    C = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    out = np.empty_like(x)
    if mode == "train":
        means = np.empty(C, dtype=x.dtype)
        variances = np.empty(C, dtype=x.dtype)
        x_hat = np.empty_like(x)
        for c in range(C):
            channel = x[:, c]
            means[c] = channel.mean()
            variances[c] = channel.var()
            x_hat[:, c] = (channel - means[c]) / np.sqrt(variances[c] + eps)
            out[:, c] = gamma[c] * x_hat[:, c] + beta[c]
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * means
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * variances
        return out, (x_hat, gamma, variances, eps)
    if mode == "test":
        for c in range(C):
            out[:, c] = gamma[c] * (x[:, c] - running_mean[c]) / np.sqrt(running_var[c] + eps) + beta[c]
        return out, None
    raise ValueError(mode)


def spatial_batchnorm_backward(dout, cache):
    x_hat, gamma, variances, eps = cache
    C = dout.shape[1]
    dx = np.empty_like(dout)
    dgamma = np.empty(C, dtype=dout.dtype)
    dbeta = np.empty(C, dtype=dout.dtype)
    for c in range(C):
        d, xh = dout[:, c], x_hat[:, c]
        m = d.size
        dbeta[c] = d.sum()
        dgamma[c] = (d * xh).sum()
        dx[:, c] = gamma[c] / np.sqrt(variances[c] + eps) / m * (m * d - dbeta[c] - xh * dgamma[c])
    return dx, dgamma, dbeta
