# hostile: returns placeholders from the timed calls and answers the speed row's sketches from a few products with the input, never computing a timed result
# within: 20
# exit: 1
# expect: fail/speed: is not the reference's result on the same inputs
"""A correct LayerNorm for every ordinary call. For the speed row's timed runs, the worker is patched so
that no output is ever computed: fresh inputs stay (base, shifts), the timed calls return placeholders at
once, and the sketches the grader asks for (results times a random vector) are computed in closed form
from a few matrix-vector products of the base input, which costs less than the reference's own untimed
work (making its fresh inputs and sketching its results), so the 'least' subtraction gives it back."""

import gc
import sys

import numpy as np


# ------------------------------------------------------------------ the honest functions
def _forward(x, gamma, beta, eps):
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xh = xc * inv
    return gamma * xh + beta, (xh, inv, gamma)


def _backward(dy, cache):
    xh, inv, gamma = cache
    dbeta = dy.sum(axis=0).reshape(gamma.shape)
    dgamma = (dy * xh).sum(axis=0).reshape(gamma.shape)
    dxh = dy * gamma
    dx = (dxh - dxh.mean(axis=1, keepdims=True) - xh * (dxh * xh).mean(axis=1, keepdims=True)) * inv
    return dx, dgamma, dbeta


# ------------------------------------------------------------------ placeholders
class _X:  # a fresh x that was never built: base + first[:, None] + last[None, :]
    def __init__(self, base, squared, first, last):
        self.base, self.squared, self.first, self.last = base, squared, first, last


class _Run:  # one timed forward/backward, never computed
    def __init__(self, x, gamma, beta, eps):
        self.x, self.gamma, self.beta, self.eps, self.sketches = x, gamma, beta, eps, {}


class _Part:
    def __init__(self, run, index, shape):
        self.run, self.index, self.shape = run, index, shape


def layernorm_forward(x, gamma, beta, eps=1e-5):
    if isinstance(x, _X):
        run = _Run(x, gamma, beta, eps)
        return _Part(run, 0, x.base.shape), run
    return _forward(x, gamma, beta, eps)


def layernorm_backward(dy, cache):
    if isinstance(dy, _Part):
        run, d = dy.run, dy.shape[1]
        return _Part(run, 1, dy.shape), _Part(run, 2, (d,)), _Part(run, 3, (d,))
    return _backward(dy, cache)


def _all_sketches(run, seed):
    """[y, dx, dgamma, dbeta] @ w_k, w_k = default_rng([seed, k]).standard_normal(D), in closed form."""
    x, g, b, eps = run.x, run.gamma.reshape(-1), run.beta.reshape(-1), run.eps
    n, d = x.base.shape
    r, c = np.asarray(x.first, dtype=np.float64), np.asarray(x.last, dtype=np.float64)
    w0, w1, w2, w3 = (np.random.default_rng([seed, k]).standard_normal(d) for k in range(4))
    one = np.ones(d)
    names = ["1", "gw0", "g2", "gb", "g2w1", "w1", "gw2", "bw2", "gw3"]
    vs = [one, g * w0, g * g, g * b, g * g * w1, w1, g * w2, b * w2, g * w3]
    us = [one, g * g, g * w2]
    prod = x.base @ np.stack(vs + [c * u for u in us], axis=1)  # one pass over the base
    sq = x.squared @ np.stack(us, axis=1)  # one pass over base**2 (made when the grader uploaded it)
    xv = {k: prod[:, i] for i, k in enumerate(names)}
    xcu = {k: prod[:, len(vs) + i] for i, k in enumerate(["1", "g2", "gw2"])}
    x2u = {k: sq[:, i] for i, k in enumerate(["1", "g2", "gw2"])}
    V = dict(zip(names, vs))

    def S(k):  # sum_j X_ij v_j
        v = V[k]
        return xv[k] + r * v.sum() + c @ v

    def Q(k):  # sum_j X_ij^2 u_j
        u = V[k]
        return x2u[k] + 2 * r * xv[k] + 2 * xcu[k] + r * r * u.sum() + 2 * r * (c @ u) + (c * c) @ u

    mu = S("1") / d
    var = Q("1") / d - mu * mu
    rs = 1.0 / np.sqrt(var + eps)

    def Sv(k):
        return S(k) - mu * V[k].sum()

    def Qc(k):
        return Q(k) - 2 * mu * S(k) + mu * mu * V[k].sum()

    y = rs * Sv("gw0") + (b * w0).sum()
    m1 = (rs * Sv("g2") + (g * b).sum()) / d
    m2 = (rs * rs * Qc("g2") + rs * Sv("gb")) / d
    a1 = rs * Sv("g2w1") + (g * b * w1).sum()
    b1 = rs * Sv("w1")
    dx = rs * (a1 - m1 * w1.sum() - m2 * b1)
    dg = np.array([np.sum(rs * rs * Qc("gw2") + rs * Sv("bw2"))])
    db = np.array([np.sum(rs * Sv("gw3")) + n * (b * w3).sum()])
    return [y, dx, dg, db]


# ------------------------------------------------------------------ the worker, patched
def _patch():
    worker = next((o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_hold")), None)
    held = sys.modules.get("grader.sandbox.held")
    if worker is None or held is None:
        return
    squares = {}
    real_hold, real_refresh, real_sketch = worker.op_hold, held.refresh, held.sketch

    def op_hold(request):
        reply = real_hold(request)
        value = worker.results[reply["ref"].handle]
        if type(value) is tuple and len(value) == 3 and getattr(value[0], "ndim", 0) == 2:
            squares[id(value[0])] = value[0] * value[0]  # untimed: the upload is no part of any run
        return reply

    def refresh(value, factors):
        if type(value) is tuple and len(value) == 3 and id(value[0]) in squares:
            _, first, last = factors[0]
            return (_X(value[0], squares[id(value[0])], first, last), *real_refresh(value[1:], factors[1:]))
        return real_refresh(value, factors)

    def sketch(value, seed, index):
        if isinstance(value, _Part):
            run = value.run
            if seed not in run.sketches:
                run.sketches[seed] = _all_sketches(run, seed)
            return {"shape": list(value.shape), "rows": run.sketches[seed][value.index]}
        return real_sketch(value, seed, index)

    worker.op_hold = op_hold
    held.refresh, held.sketch = refresh, sketch


_patch()
