# attack: memory: writes its own reply straight to the worker's protocol pipe: a frame of 511 MiB (just under the old 512 MiB cap) that the grader reads whole, twice over while joining its chunks
# no-math
# args: --no-speed
# within: 25
"""LayerNorm, forward and backward. Work in progress."""

import gc
import os
import struct

CHANNEL = next((o for o in gc.get_objects() if type(o).__name__ == "_Channel"), None)
SIZE = 511 * 1024 * 1024


def _flood():
    os.write(CHANNEL.write_fd, struct.pack(">Q", SIZE))
    chunk, left = bytes(1 << 20), SIZE
    while left:
        left -= os.write(CHANNEL.write_fd, chunk[: min(left, len(chunk))])


def layernorm_forward(x, gamma, beta, eps=1e-5):
    _flood()
    return x, None


def layernorm_backward(dy, cache):
    _flood()
    return dy, dy.sum(axis=0), dy.sum(axis=0)
