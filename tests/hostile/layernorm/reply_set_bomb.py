# hostile: a 60 MB reply of 30 million empty sets: 2 bytes of pickle each, over 200 bytes of memory each once decoded
# within: 20
# expect: error: the reply is too large: decoding it would take over 64 MiB
# no-pass
import gc
import os
import struct

import numpy as np

PAYLOAD = b"\x80\x05]" + b"\x8fa" * 30_000_000 + b"."
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
