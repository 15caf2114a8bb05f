# variant: works on the transpose (features down the rows) with einsum reductions, returns a transposed view
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    xt = x.T
    d = xt.shape[0]
    mu = np.einsum("dn->n", xt) / d
    c = xt - mu
    rstd = (np.einsum("dn,dn->n", c, c) / d + eps) ** -0.5
    return (c * rstd * gamma[:, None] + beta[:, None]).T
