# attack: memory: returns lists nested five deep, ten wide, whose 100 000 leaves are one shared 80 kB array: about 2 MB on the wire, 8 GB as the dense array a comparison builds
# no-math
# args: --no-speed
# within: 20
"""LayerNorm, forward and backward. Work in progress."""

import numpy as np

_LEAF = np.ones(10_000)


def _fan(depth):
    return [_LEAF] * 10 if depth == 1 else [_fan(depth - 1) for _ in range(10)]


def layernorm_forward(x, gamma, beta, eps=1e-5):
    return _fan(5), None


def layernorm_backward(dy, cache):
    return _fan(5), _fan(5), _fan(5)
