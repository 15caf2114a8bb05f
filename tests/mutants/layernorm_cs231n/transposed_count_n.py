# mistake: batchnorm's backward reused on the transpose, but its count N = dout.shape[0] (the batch size) was kept where D (the rows of the transpose) belongs
# caught-by: examples, hidden, gradcheck
# diagnosis: dx divides the row sums by N
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    x_T = x.T                                   # (D, N): batchnorm's layout
    mean = np.mean(x_T, axis=0)
    var = np.var(x_T, axis=0)
    x_norm_T = (x_T - mean) / np.sqrt(var + eps)
    x_norm = x_norm_T.T
    out = x_norm * gamma + beta
    cache = (x_norm, gamma, var, eps)
    return out, cache


def layernorm_backward(dout, cache):
    x_norm, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_norm, axis=0)
    dx_norm_T = (dout * gamma).T                # (D, N)
    x_norm_T = x_norm.T
    dx_T = (N * dx_norm_T - np.sum(dx_norm_T, axis=0)
            - x_norm_T * np.sum(dx_norm_T * x_norm_T, axis=0)) / (N * np.sqrt(var + eps))
    return dx_T.T, dgamma, dbeta
