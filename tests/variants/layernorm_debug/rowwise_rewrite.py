# variant: rewritten without transposes: row statistics with keepdims, the three backward paths summed one by one, dict cache
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    xmu = x - mu
    var = (xmu * xmu).mean(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = xmu / std
    return gamma * x_hat + beta, {"x_hat": x_hat, "xmu": xmu, "std": std, "var": var, "eps": eps, "gamma": gamma}


def layernorm_backward(dout, cache):
    x_hat, xmu, std, var, eps, gamma = (cache[k] for k in ("x_hat", "xmu", "std", "var", "eps", "gamma"))
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xmu, axis=1, keepdims=True) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(dx_hat, axis=1, keepdims=True) / std + dvar * np.mean(-2.0 * xmu, axis=1, keepdims=True)
    dx = dx_hat / std + dvar * 2.0 * xmu / D + dmu / D
    return dx, dgamma, dbeta
