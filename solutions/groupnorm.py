"""Reference solution for groupnorm (CS231n's spatial group normalization).

Seen as a matrix of N*G rows, one per (sample, group), each row holding the group's (C/G)*H*W values,
GroupNorm is LayerNorm on those rows followed by a per-channel scale and shift. The forward pass takes
the two-pass statistics of each row (mean, then the variance of the centered values) and caches the
centered values xc with rstd = 1/sqrt(var + eps) per row.

The backward pass never materializes x_hat or dxhat = dout * gamma. Writing g(c) for the group of
channel c, the gradient of one group is (means over the group's (C/G)*H*W elements)

    dx = rstd * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat))
       = a[n, c] * dout + b[n, c] * xc + k[n, c]

with per-(sample, channel) coefficients a = rstd * gamma_c, b = -rstd**2 * mean(dxhat * x_hat),
k = -rstd * mean(dxhat). Both group means, dgamma and dbeta follow from two (N*C,)-sized reductions over
H*W: s = sum(dout) and t = sum(dout * xc). Every full-size pass is a BLAS matrix-vector product, an einsum
or an elementwise operation on arrays this module allocated; the caller's arrays are never written.
"""

import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    n, c, h, w = x.shape
    rows = x.reshape(n * G, -1)  # a view when x is contiguous: (sample, group) rows
    m = rows.shape[1]
    mu = (rows @ np.ones(m, dtype=x.dtype)) / m
    xc = rows - mu[:, None]
    var = np.einsum("ij,ij->i", xc, xc) / m
    rstd = 1.0 / np.sqrt(var + eps)
    xc = xc.reshape(n, c, h, w)
    # out = gamma * (xc * rstd) + beta, with gamma * rstd folded into one (N, C, 1, 1) factor.
    scale = (rstd.reshape(n, G, 1) * gamma.reshape(1, G, c // G)).reshape(n, c, 1, 1)
    out = xc * scale
    out += beta.reshape(1, c, 1, 1)
    return out, (xc, rstd, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xc, rstd, gamma, G = cache
    n, c, h, w = dout.shape
    cg, hw = c // G, h * w
    m = cg * hw
    flat = dout.reshape(n * c, hw)
    s = (flat @ np.ones(hw, dtype=dout.dtype)).reshape(n, G, cg)  # sum of dout per (sample, channel)
    t = np.einsum("ij,ij->i", flat, xc.reshape(n * c, hw)).reshape(n, G, cg)
    r = rstd.reshape(n, G, 1)
    t *= r  # now the sum of dout * x_hat per (sample, channel)
    g = gamma.reshape(1, G, cg)
    dbeta = s.sum(axis=0).reshape(gamma.shape)
    dgamma = t.sum(axis=0).reshape(gamma.shape)
    mean_dxhat = np.einsum("ngc,gc->ng", s, g[0])[:, :, None] / m
    mean_dxhat_xhat = np.einsum("ngc,gc->ng", t, g[0])[:, :, None] / m
    a = (r * g).reshape(n, c, 1, 1)
    b = np.broadcast_to(-(r * r) * mean_dxhat_xhat, (n, G, cg)).reshape(n, c, 1, 1)
    k = np.broadcast_to(-r * mean_dxhat, (n, G, cg)).reshape(n, c, 1, 1)
    dx = dout * a
    tmp = xc * b
    tmp += k
    dx += tmp
    return dx, dgamma, dbeta
