# attack: patch-worker: defines neither function; patches the worker's load reply (Worker._signature) to report the spec's signatures and its function lookup (Worker._function) to hand out the grading kit's
# no-math
# args: --no-speed
# within: 15
"""LayerNorm: nothing written yet."""

import gc
import inspect


def _kit_answer(fn, args, kwargs):
    """The correct values, from the grading kit (no math of my own)."""
    from grader.kit.ln_mistakes import layer_norm, row_dx
    from grader.kit.mistakes import normalize

    if fn == "layernorm_forward":
        x, gamma, beta = args[:3]
        eps = kwargs.get("eps", args[3] if len(args) > 3 else 1e-5)
        return layer_norm(x, gamma, beta, eps).astype(x.dtype), (x, gamma, eps)
    dy, (x, gamma, eps) = args[0], args[1]
    xhat = normalize(x, 1, eps)
    dx = row_dx(x, gamma, eps, dy).astype(dy.dtype)
    return dx, (dy * xhat).sum(axis=0).astype(dy.dtype).reshape(gamma.shape), dy.sum(axis=0).reshape(gamma.shape)

SPEC = {
    "layernorm_forward": lambda x, gamma, beta, eps=1e-5: _kit_answer("layernorm_forward", (x, gamma, beta), {"eps": eps}),
    "layernorm_backward": lambda dy, cache: _kit_answer("layernorm_backward", (dy, cache), {}),
}


def _install():
    import grader.kit.ln_mistakes  # noqa: F401 - fails here when the kit is out of reach

    for cls in {type(o) for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_call")}:
        real_signature, real_function = cls._signature, cls._function

        def _signature(self, name, real=real_signature):
            if name in SPEC:
                params = inspect.signature(SPEC[name]).parameters.values()
                return {"callable": True, "params": [[p.name, int(p.kind), p.default is not inspect.Parameter.empty,
                                                       repr(p.default)[:60]] for p in params]}
            return real(self, name)

        def _function(self, request, real=real_function):
            if request.get("target") is None and request.get("fn") in SPEC:
                return SPEC[request["fn"]]
            return real(self, request)

        cls._signature, cls._function = _signature, _function


try:
    _install()
except Exception as exc:  # noqa: BLE001
    print("patch refused:", repr(exc)[:200])
