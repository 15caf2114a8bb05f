# mistake: backward works on the transpose and returns dx_T as it is, shaped (D, N) instead of (N, D)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: transposed\?
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    x_T = x.T
    mean = x_T.mean(axis=0)
    var = x_T.var(axis=0)
    x_hat_T = (x_T - mean) / np.sqrt(var + eps)
    out = x_hat_T.T * gamma + beta
    return out, (x_hat_T, var, eps, gamma)


def layernorm_backward(dout, cache):
    x_hat_T, var, eps, gamma = cache
    D = x_hat_T.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat_T.T).sum(axis=0)
    g = (dout * gamma).T
    dx_T = (D * g - g.sum(axis=0) - x_hat_T * (g * x_hat_T).sum(axis=0)) / (D * np.sqrt(var + eps))
    return dx_T, dgamma, dbeta
