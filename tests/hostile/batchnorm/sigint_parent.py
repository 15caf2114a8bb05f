# attack: signal: interrupts the grader (os.kill(os.getppid(), signal.SIGINT)) from every call
# no-math
# args: --no-speed
# within: 15
"""BatchNorm, forward and backward. Work in progress."""

import os
import signal


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    os.kill(os.getppid(), signal.SIGINT)
    return x, None


def batchnorm_backward(dout, cache):
    os.kill(os.getppid(), signal.SIGINT)
    return dout, dout.sum(axis=0), dout.sum(axis=0)
