# hostile: a reply whose value is a list nested 100 000 levels deep
# within: 20
# expect: error: the reply is too deep: containers nested more than 64 levels
# no-pass
import gc
import os
import struct

import numpy as np

DEPTH = 100_000
PAYLOAD = b"\x80\x05}" + b"\x8c\x02ok\x88s" + b"\x8c\x05value" + b"]" * (DEPTH + 1) + b"a" * DEPTH + b"s."
HEADER = struct.pack(">Q", len(PAYLOAD))

CHANNEL = next(o for o in gc.get_objects() if type(o).__name__ == "_Channel")  # the worker's protocol pipe


def send_frame(header, payload=b""):
    """Bytes straight onto the protocol pipe: the grader takes them as the reply to its current request."""
    frame = memoryview(header + payload)
    while frame:
        frame = frame[os.write(CHANNEL.write_fd, frame) :]


def layernorm_forward(x, gamma, beta, eps=1e-5):
    send_frame(HEADER, PAYLOAD)
    mu = x.mean(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return x_hat * gamma.reshape(-1) + beta.reshape(-1), None


def layernorm_backward(dy, cache):
    return np.zeros_like(dy), np.zeros(dy.shape[1]), np.zeros(dy.shape[1])
