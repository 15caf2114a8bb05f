# mistake: dgamma and dbeta summed with keepdims=True, so they come back (1, D) where the assignment says (D,)
# caught-by: examples, contract, hidden, gradcheck
# diagnosis: expected shape \(\d+,\), got \(1, \d+\)
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps)


def layernorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)
    dx_hat = dout * gamma
    dx = (D * dx_hat - np.sum(dx_hat, axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta
