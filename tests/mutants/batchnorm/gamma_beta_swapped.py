# mistake: out = beta * x_hat + gamma (scale and shift swapped), gradients consistent with that
# caught-by: examples, hidden
# diagnosis: gamma and beta were swapped
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    rstd = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * rstd
    return beta * x_hat + gamma, {"x_hat": x_hat, "rstd": rstd, "scale": beta}


def batchnorm_backward(dout, cache):
    x_hat, rstd, scale = cache["x_hat"], cache["rstd"], cache["scale"]
    N = dout.shape[0]
    dgamma = dout.sum(axis=0)
    dbeta = (dout * x_hat).sum(axis=0)
    dx = scale * rstd / N * (N * dout - dgamma - x_hat * dbeta)
    return dx, dgamma, dbeta
