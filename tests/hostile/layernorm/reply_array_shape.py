# hostile: a reply whose array claims shape (100000, 100000) and carries 8 bytes of data
# within: 20
# expect: error: \(100000, 100000\) float64 array whose data is not 80,000,000,000 bytes
# no-pass
import gc
import os
import struct

import numpy as np

from grader.sandbox import protocol


class Claims:
    def __reduce__(self):
        return protocol._array, ("<f8", (100_000, 100_000), False, False, bytearray(8))


PAYLOAD = protocol.dumps({"ok": True, "value": Claims(), "ref": protocol.Ref(1), "elapsed": 0.0})[8:]
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
