# hostile: patches the worker's handler of the speed row's timed calls to answer at once with the result of the first call it timed, whatever the inputs
# within: 20
# expect: fail/speed: is not the reference's result on the same inputs
"""A correct LayerNorm whose worker skips the work of every timed call after the first."""

import gc

import numpy as np


def _patch() -> None:
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_call"))
    real, first = type(worker).op_call, {}

    def op_call(self, request):
        if not request.get("outline"):  # the checks' calls; the speed row asks for an outline of the result
            return real(self, request)
        if request["fn"] not in first:
            reply = real(self, request)
            if not reply["ok"]:
                return reply
            first[request["fn"]] = self.results[reply["ref"].handle]
        value = first[request["fn"]]
        ref = self.keep(value)
        return {"ok": True, "value": self.outline(value, ref), "ref": ref, "elapsed": 0.0}

    type(worker).op_call = op_call


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
