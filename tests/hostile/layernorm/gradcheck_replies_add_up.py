# attack: memory: answers the numerical gradient check's evaluations with 56 MiB arrays, each under the per-reply budget
# within: 30
# expect: error/gradcheck: too large to transfer
"""Honest LayerNorm, except that the gradient check's perturbed forward evaluations (worker.op_batch)
each return a 56 MiB output: under the per-reply budget, but the grader keeps all 2*x.size of them."""
import sys
import numpy as np

_BIG = np.ones(7 * 1024 * 1024)  # 56 MiB of float64


def layernorm_forward(x, gamma, beta, eps=1e-5):
    if sys._getframe(1).f_code.co_name == "op_batch":
        return _BIG, None
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xh = xc * inv
    return gamma * xh + beta, (xh, inv, gamma)


def layernorm_backward(dy, cache):
    xh, inv, gamma = cache
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dgamma = (dy * xh).sum(axis=0).reshape(gamma.shape)
    dxh = dy * gamma
    dx = (dxh - dxh.mean(axis=1, keepdims=True) - xh * (dxh * xh).mean(axis=1, keepdims=True)) * inv
    return dx, dgamma, dbeta
