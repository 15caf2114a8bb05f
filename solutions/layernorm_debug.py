"""Reference solution for layernorm_debug: the broken stub with its three bugs fixed, nothing else changed.

1. forward: the variance was taken over axis 1 of the transpose (per feature, across the batch) while the
   mean was taken per example; both statistics belong to axis 0 of xt.
2. backward: `xhat_t` was read on the line before it was assigned (UnboundLocalError); assign it first.
3. backward: the count m of BatchNorm's formula is the number of values each statistic covers. On the
   transpose that is D (the features of one example), not N (the batch size, as in BatchNorm). With a
   square batch the two coincide, which is why the bug hides from a square gradient check.
"""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    xt = x.T                                            # (D, N): column j is example j
    mu = xt.mean(axis=0)                                # (N,)
    xc = xt - mu                                        # (D, N), a new array: x is untouched
    var = (xc * xc).mean(axis=0)                        # (N,)   fix 1: axis 0, like the mean
    inv_std = 1.0 / np.sqrt(var + eps)
    xc *= inv_std
    x_hat = xc.T                                        # (N, D)
    out = x_hat * gamma
    out += beta
    return out, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dxhat_t = (dout * gamma).T                          # (D, N)
    xhat_t = x_hat.T                                    # fix 2: assigned before it is used
    proj = (dxhat_t * xhat_t).sum(axis=0)               # (N,)
    dx_t = xhat_t * proj
    dx_t += dxhat_t.sum(axis=0)
    np.subtract(d * dxhat_t, dx_t, out=dx_t)
    dx_t *= inv_std / d                                 # fix 3: m = D, the features of one example
    return dx_t.T, dgamma, dbeta
