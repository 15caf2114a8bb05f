# attack: patch-worker: a right forward that answers NaN only inside the numerical gradient's perturbed evaluations, beside a wrong backward (dx = dy / 2): NaN compares false with every threshold
# within: 20
# expect: fail/gradcheck: central differences of your forward are NaN or inf
"""Correct forward; backward is WRONG (dx = 0.5*dy, dgamma/dbeta zeros-ish).
During the grader's perturbed batch evaluations (worker.op_batch on the stack), the forward returns NaN,
so the numerical gradient is NaN and rel_error(analytic, NaN) = NaN, and `NaN > threshold` is False."""
import sys
import numpy as np


def _in_batch():
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name == "op_batch":
            return True
        f = f.f_back
    return False


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    xh = (x - mu) / np.sqrt(var + eps)
    y = (xh * gamma.reshape(-1) + beta.reshape(-1)).astype(x.dtype)
    if _in_batch():
        y = np.full_like(y, np.nan)
    return y, (xh, gamma)


def layernorm_backward(dy, cache):
    xh, gamma = cache
    dx = (0.5 * dy).astype(dy.dtype)
    return dx, (np.ones_like(gamma) * 0.1).astype(dy.dtype), (np.ones_like(gamma) * 0.2).astype(dy.dtype)
