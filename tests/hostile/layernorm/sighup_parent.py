# attack: signal: hangs up the grader (as a closed terminal would) (os.kill(os.getppid(), signal.SIGHUP))
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os
import signal


def layernorm_forward(x, gamma, beta, eps=1e-5):
    os.kill(os.getppid(), signal.SIGHUP)
    return x, None


def layernorm_backward(dy, cache):
    os.kill(os.getppid(), signal.SIGHUP)
    return dy, dy.sum(axis=0), dy.sum(axis=0)
