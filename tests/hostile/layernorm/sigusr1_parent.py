# attack: signal: sends the grader a signal whose default action ends it (os.kill(os.getppid(), signal.SIGUSR1))
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os
import signal


def layernorm_forward(x, gamma, beta, eps=1e-5):
    os.kill(os.getppid(), signal.SIGUSR1)
    return x, None


def layernorm_backward(dy, cache):
    os.kill(os.getppid(), signal.SIGUSR1)
    return dy, dy.sum(axis=0), dy.sum(axis=0)
