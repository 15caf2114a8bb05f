# mistake: divides by the L2 norm of the row (np.linalg.norm), forgetting the 1/D that makes it a root *mean* square
# caught-by: examples, hidden
# diagnosis: L2 norm
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    norm = np.sqrt(np.sum(x * x, axis=1, keepdims=True) + eps)
    x_hat = x / norm
    return x_hat * gamma, (x_hat, 1.0 / norm, gamma)


def rmsnorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    dgamma = (dy * x_hat).sum(axis=0)
    dxhat = dy * gamma
    dx = rstd * (dxhat - x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True))
    return dx, dgamma
