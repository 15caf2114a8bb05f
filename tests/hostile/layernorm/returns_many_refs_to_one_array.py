# attack: memory: returns, as the output, a list of 10 000 references to one 32 MB array: 32 MB on the wire (pickle sends it once), 320 GB for a grader that turns it into an array
# no-math
# args: --no-speed
# within: 20
"""LayerNorm, forward and backward. Work in progress."""

import numpy as np

_BLOCK = np.zeros(4 * 1024 * 1024)  # 32 MB


def layernorm_forward(x, gamma, beta, eps=1e-5):
    return [_BLOCK] * 10_000, None


def layernorm_backward(dy, cache):
    return [_BLOCK] * 10_000, [_BLOCK] * 10_000, [_BLOCK] * 10_000
