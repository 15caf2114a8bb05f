# variant: CS231n-style staged backprop through every node (mean, centre, square, variance, sqrt, invert) written once for any axes; the cache is an object; text compacts the real tokens with np.nonzero
import numpy as np


class _Tape:
    """Forward and backward of normalization over `axes`, one node at a time."""

    def __init__(self, x, axes, eps):
        self.axes = axes
        self.count = int(np.prod([x.shape[a] for a in axes]))
        self.mu = np.sum(x, axis=axes, keepdims=True) / self.count
        self.xmu = x - self.mu
        self.sq = self.xmu ** 2
        self.var = np.sum(self.sq, axis=axes, keepdims=True) / self.count
        self.sqrtvar = np.sqrt(self.var + eps)
        self.ivar = 1.0 / self.sqrtvar
        self.x_hat = self.xmu * self.ivar

    def backward(self, dxhat):
        axes, count = self.axes, self.count
        divar = np.sum(dxhat * self.xmu, axis=axes, keepdims=True)
        dxmu1 = dxhat * self.ivar
        dsqrtvar = -1.0 / (self.sqrtvar ** 2) * divar
        dvar = 0.5 / self.sqrtvar * dsqrtvar
        dsq = np.ones_like(self.sq) / count * dvar
        dxmu2 = 2 * self.xmu * dsq
        dx1 = dxmu1 + dxmu2
        dmu = -np.sum(dx1, axis=axes, keepdims=True)
        dx2 = np.ones_like(dx1) / count * dmu
        return dx1 + dx2


class _Cache:
    def __init__(self, tape, gamma, where=None, shape=None):
        self.tape, self.gamma, self.where, self.shape = tape, gamma, where, shape


def image_layernorm_forward(x, gamma, beta, eps=1e-5):
    tape = _Tape(x, (1, 2, 3), eps)
    g, b = gamma[None, :, None, None], beta[None, :, None, None]
    return g * tape.x_hat + b, _Cache(tape, gamma)


def image_layernorm_backward(dout, cache):
    tape = cache.tape
    dbeta = np.einsum("nchw->c", dout)
    dgamma = np.einsum("nchw,nchw->c", dout, tape.x_hat)
    dx = tape.backward(dout * cache.gamma[None, :, None, None])
    return dx, dgamma, dbeta


def text_layernorm_forward(x, gamma, beta, mask, eps=1e-5):
    where = np.nonzero(mask)
    tape = _Tape(x[where], (1,), eps)
    out = np.zeros(x.shape, dtype=x.dtype)
    out[where] = gamma * tape.x_hat + beta
    return out, _Cache(tape, gamma, where, x.shape)


def text_layernorm_backward(dout, cache):
    tape, where = cache.tape, cache.where
    d = dout[where]
    dx = np.zeros(cache.shape, dtype=dout.dtype)
    dx[where] = tape.backward(d * cache.gamma)
    return dx, np.einsum("md,md->d", d, tape.x_hat), d.sum(axis=0)


def timeseries_layernorm_forward(x, gamma, beta, eps=1e-5):
    tape = _Tape(x, (2,), eps)
    return gamma * tape.x_hat + beta, _Cache(tape, gamma)


def timeseries_layernorm_backward(dout, cache):
    tape = cache.tape
    dx = tape.backward(dout * cache.gamma)
    return dx, np.einsum("ntf,ntf->f", dout, tape.x_hat), dout.sum(axis=(0, 1))
