# mistake: transposed to reuse batchnorm, but the statistics of x.T were taken over axis 1 (keepdims), i.e. per feature across the batch
# caught-by: examples, hidden
# diagnosis: the statistics were taken over axis 0 instead of axis 1
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    x_T = x.T
    mean = np.mean(x_T, axis=1, keepdims=True)
    var = np.var(x_T, axis=1, keepdims=True)
    x_norm = ((x_T - mean) / np.sqrt(var + eps)).T
    out = x_norm * gamma + beta
    return out, (x_norm, gamma, var, eps)


def layernorm_backward(dout, cache):
    x_norm, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_norm, axis=0)
    dx_norm = dout * gamma
    dx = (N * dx_norm - np.sum(dx_norm, axis=0) - x_norm * np.sum(dx_norm * x_norm, axis=0)) / (N * np.sqrt(var.T + eps))
    return dx, dgamma, dbeta
