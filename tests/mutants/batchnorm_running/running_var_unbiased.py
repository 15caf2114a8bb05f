# mistake: the running variance is updated with the unbiased batch variance (ddof=1, as torch does); the output is right
# caught-by: examples, hidden
# diagnosis: unbiased batch variance
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        istd = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * istd
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, istd)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, gamma, istd = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dvar_term = np.sum(dx_hat * x_hat, axis=0)
    dmean_term = np.sum(dx_hat, axis=0)
    dx = istd * (dx_hat - dmean_term / N - x_hat * dvar_term / N)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, istd = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma * istd / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
