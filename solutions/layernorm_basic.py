"""Reference solution for layernorm_basic: the forward pass alone, returning the normalized array.

Row means and variances go through BLAS (a matrix-vector product and einsum); the scaling and the shift
are done in place on the one array this function allocates, so the input is never written to.
"""

import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    out = x - ((x @ np.ones(d, dtype=x.dtype)) / d)[:, None]
    var = np.einsum("ij,ij->i", out, out) / d
    out *= (1.0 / np.sqrt(var + eps))[:, None]
    out *= gamma
    out += beta
    return out
