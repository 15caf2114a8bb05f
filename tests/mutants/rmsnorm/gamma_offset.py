# mistake: the scale is 1 + gamma (Gemma's offset convention, for a gamma stored around 0); the spec multiplies by gamma itself
# caught-by: examples, hidden
# diagnosis: the scale was 1 \+ gamma
# not-said: gamma was not applied|mean was subtracted|eps
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    x_hat = x * rstd
    return x_hat * (1 + gamma), (x_hat, rstd, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * (1 + gamma)
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma
