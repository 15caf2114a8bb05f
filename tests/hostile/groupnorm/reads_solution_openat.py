# attack: read-protected: opens the solutions folder as a directory descriptor, then groupnorm.py relative to it (openat)
# no-math
# args: --no-speed
# within: 15
"""Spatial GroupNorm, forward and backward."""

import os
import sys


def _checkout():
    module = sys.modules.get("grader")
    if module is not None and getattr(module, "__file__", None):
        return os.path.dirname(os.path.dirname(os.path.abspath(module.__file__)))
    return os.readlink("/proc/%d/cwd" % os.getppid())


def _steal():
    folder = os.open(os.path.join(_checkout(), "solutions"), os.O_RDONLY | os.O_DIRECTORY)
    with os.fdopen(os.open("groupnorm.py", os.O_RDONLY, dir_fd=folder)) as f:
        return f.read()


try:
    _notes = {}
    exec(compile(_steal(), "my_notes.py", "exec"), _notes)
    spatial_groupnorm_forward = _notes["spatial_groupnorm_forward"]
    spatial_groupnorm_backward = _notes["spatial_groupnorm_backward"]
except Exception as exc:  # noqa: BLE001
    _why = repr(exc)

    def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
        raise NotImplementedError("still working on it (" + _why + ")")

    def spatial_groupnorm_backward(dout, cache):
        raise NotImplementedError("still working on it (" + _why + ")")
