# attack: memory: returns a list of 256 references to one 32 MB array: 32 MB on the wire, 8 GiB once the grader compares it as an array (small enough for the allocation to succeed)
# no-math
# args: --no-speed
# within: 20
"""LayerNorm, forward and backward. Work in progress."""

import numpy as np

_BLOCK = np.ones(4 * 1024 * 1024)  # 32 MB


def layernorm_forward(x, gamma, beta, eps=1e-5):
    return [_BLOCK] * 256, None


def layernorm_backward(dy, cache):
    return [_BLOCK] * 256, [_BLOCK] * 256, [_BLOCK] * 256
