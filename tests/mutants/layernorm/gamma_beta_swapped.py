# mistake: gamma and beta swapped in the affine step (y = beta * x_hat + gamma), gradients follow the code
# caught-by: examples, hidden
# diagnosis: gamma and beta were swapped
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * rstd
    y = beta * x_hat + gamma
    return y, (x_hat, rstd, gamma, beta)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma, beta = cache
    dgamma = dy.sum(axis=0).reshape(gamma.shape)
    dbeta = (dy * x_hat).sum(axis=0).reshape(beta.shape)
    dxhat = dy * beta
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
