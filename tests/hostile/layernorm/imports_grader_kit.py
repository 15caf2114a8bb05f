# attack: read-protected: imports the grading kit, whose mistake models hold the correct LayerNorm forward and input gradient, and answers with them
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward: the grader already knows how, so ask it."""

import numpy as np

try:
    from grader.kit.ln_mistakes import layer_norm, row_dx
    from grader.kit.mistakes import normalize
except Exception as exc:  # noqa: BLE001
    _why = repr(exc)

    def layernorm_forward(x, gamma, beta, eps=1e-5):
        raise NotImplementedError("still working on it (" + _why + ")")

    def layernorm_backward(dy, cache):
        raise NotImplementedError("still working on it (" + _why + ")")

else:

    def layernorm_forward(x, gamma, beta, eps=1e-5):
        return layer_norm(x, gamma, beta, eps).astype(x.dtype), (x, gamma, eps)

    def layernorm_backward(dy, cache):
        x, gamma, eps = cache
        xhat = normalize(x, 1, eps)
        dx = row_dx(x, gamma, eps, dy).astype(dy.dtype)
        return dx, (dy * xhat).sum(axis=0).astype(dy.dtype).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)
