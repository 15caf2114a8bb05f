# hostile: patches the worker so that the speed row's timed calls answer at once with placeholders, and does the real work when the grader asks for the results' sketches, outside the timed calls
# within: 20
# exit: 0
# expect: pass/speed: (^|slow: )(0\.[3-9]\d|[1-9]\d*\.\d\d)× the reference's CPU time
# speed-ratio-over: 0.3
"""A correct LayerNorm whose worker moves the work of every timed call into the next untimed request."""

import gc

import numpy as np


class _Later:
    """A call not made yet: made the first time anything needs its value."""

    def __init__(self, fn, args, kwargs):
        self.fn, self.args, self.kwargs, self.done, self.value = fn, args, kwargs, False, None

    def force(self):
        if not self.done:
            self.value = self.fn(*[_force(a) for a in self.args], **{k: _force(v) for k, v in self.kwargs.items()})
            self.done = True
        return self.value


class _Part:
    def __init__(self, later, index):
        self.later, self.index = later, index

    def force(self):
        return self.later.force()[self.index]


def _force(value):
    return value.force() if isinstance(value, (_Later, _Part)) else value


def _patch() -> None:
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_call"))
    cls = type(worker)
    real_call, real_sketch = cls.op_call, cls.op_sketch
    parts = {"layernorm_forward": 2, "layernorm_backward": 3}

    def op_call(self, request):
        if not request.get("outline"):
            return real_call(self, request)
        later = _Later(self._function(request), self.resolve(request["args"]), self.resolve(request["kwargs"]))
        value = tuple(_Part(later, i) for i in range(parts[request["fn"]]))
        ref = self.keep(value)
        return {"ok": True, "value": self.outline(value, ref), "ref": ref, "elapsed": 0.0}

    def op_sketch(self, request):
        for ref in request["values"]:
            self.results[ref.handle] = tuple(_force(v) for v in self.results[ref.handle])
        return real_sketch(self, request)

    cls.op_call, cls.op_sketch = op_call, op_sketch


_patch()


def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    mu = (x @ np.ones(d, dtype=x.dtype)) / d
    x_hat = x - mu[:, None]
    var = np.einsum("ij,ij->i", x_hat, x_hat) / d
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat *= rstd[:, None]
    y = x_hat * gamma.reshape(-1)
    y += beta.reshape(-1)
    return y, (x_hat, rstd, gamma)


def layernorm_backward(dy, cache):
    x_hat, rstd, gamma = cache
    d = x_hat.shape[1]
    dbeta = np.ones(dy.shape[0], dtype=dy.dtype) @ dy
    dgamma = np.einsum("ij,ij->j", dy, x_hat)
    dxhat = dy * gamma.reshape(-1)
    mean_dxhat = (dxhat @ np.ones(d, dtype=dy.dtype)) / d
    mean_dxhat_xhat = np.einsum("ij,ij->i", dxhat, x_hat) / d
    dx = x_hat * mean_dxhat_xhat[:, None]
    dx += mean_dxhat[:, None]
    np.subtract(dxhat, dx, out=dx)
    dx *= rstd[:, None]
    return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)
