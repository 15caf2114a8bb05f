# mistake: eps added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)
# caught-by: hidden
# diagnosis: eps was added outside the square root
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    sigma = x.std(axis=1, keepdims=True)
    x_hat = (x - mu) / (sigma + eps)
    y = gamma * x_hat + beta
    return y, (x, mu, sigma, eps, gamma)


def layernorm_backward(dy, cache):
    x, mu, sigma, eps, gamma = cache
    D = x.shape[1]
    x_hat = (x - mu) / (sigma + eps)
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dgamma = (dy * x_hat).sum(axis=0).reshape(gamma.shape)
    dxhat = dy * gamma
    # the textbook formula, with the candidate's denominator plugged in
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
          - x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True)) / (D * (sigma + eps))
    return dx, dgamma, dbeta
