# attack: read-protected: looks through the worker's memory (gc) for the reference module a grader loads; when none is there yet and the worker was forked from a grader, ends the worker right after the load reply, so that the grader forks a new one from its memory, which by then holds the reference
# no-math
# args: --no-speed
# within: 20
# batch: first
"""LayerNorm, forward and backward."""

import gc
import os
import sys
import types


def _reference():
    for obj in gc.get_objects():
        if isinstance(obj, types.ModuleType) and obj.__name__.startswith(("normkata_reference_", "_normkata_reference")):
            if hasattr(obj, "layernorm_forward"):
                return obj
    return None


_found = _reference()
if _found is not None:
    layernorm_forward, layernorm_backward = _found.layernorm_forward, _found.layernorm_backward
else:
    if "grader.core.runner" in sys.modules:  # forked from a grader: a restarted worker would be forked after the reference loads
        for channel in [o for o in gc.get_objects() if type(o).__name__ == "_Channel"]:
            send = channel.send

            def send_then_leave(message, send=send):
                send(message)
                os._exit(0)

            channel.send = send_then_leave

    def layernorm_forward(x, gamma, beta, eps=1e-5):
        raise NotImplementedError("still working on it")

    def layernorm_backward(dy, cache):
        raise NotImplementedError("still working on it")
