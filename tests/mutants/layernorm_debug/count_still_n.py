# mistake: forward and the UnboundLocalError fixed, but the backward still divides by N (the batch size) where D belongs: right only for square batches
# caught-by: examples, hidden, gradcheck
# diagnosis: dx divides the row sums by N
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalize each row of x over its D features, then scale by gamma and shift by beta.

    x: (N, D). gamma, beta: (D,). Returns (out, cache), out of shape (N, D) in x's dtype.
    """
    # LayerNorm is BatchNorm on the transpose: column j of xt is example j, so BatchNorm's statistics
    # of xt (taken over axis 0) are exactly the per-example statistics LayerNorm needs.
    xt = x.T                                            # (D, N)
    mu = xt.mean(axis=0)                                # (N,)   one mean per example
    xc = xt - mu                                        # (D, N)
    var = (xc ** 2).mean(axis=0)                        # one variance per example
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (xc * inv_std).T                            # back to (N, D)
    out = x_hat * gamma + beta
    cache = (x_hat, inv_std, gamma)
    return out, cache


def layernorm_backward(dout, cache):
    """Gradients with respect to x, gamma and beta, given dout = dL/dout of shape (N, D).

    Returns (dx, dgamma, dbeta): dx is (N, D); dgamma and dbeta are (D,).
    """
    x_hat, inv_std, gamma = cache
    N, D = dout.shape
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)

    # BatchNorm's closed-form backward, run on the transposed problem:
    #   dx = inv_std / m * (m * dxhat - sum(dxhat) - x_hat * sum(dxhat * x_hat)),  sums over axis 0
    # where m is the number of values each statistic was taken over.
    dxhat_t = (dout * gamma).T                          # (D, N)
    xhat_t = x_hat.T                                    # (D, N)
    proj = (dxhat_t * xhat_t).sum(axis=0)               # (N,)
    dx_t = inv_std / N * (N * dxhat_t - dxhat_t.sum(axis=0) - xhat_t * proj)
    return dx_t.T, dgamma, dbeta
