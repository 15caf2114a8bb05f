# attack: signal: kills the grader outright: no report, or the rows it had so far (os.kill(os.getppid(), signal.SIGKILL))
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os
import signal


def layernorm_forward(x, gamma, beta, eps=1e-5):
    os.kill(os.getppid(), signal.SIGKILL)
    return x, None


def layernorm_backward(dy, cache):
    os.kill(os.getppid(), signal.SIGKILL)
    return dy, dy.sum(axis=0), dy.sum(axis=0)
