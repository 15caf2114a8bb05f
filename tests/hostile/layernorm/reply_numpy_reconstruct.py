# hostile: a reply asking NumPy's own unpickling for a (100000, 100000) float64 array (80 GB)
# within: 20
# expect: error: numpy._core.multiarray._reconstruct, which is not plain data
# no-pass
import gc
import os
import pickle
import struct

import numpy as np

from grader.sandbox.protocol import Ref


class Huge:
    def __reduce__(self):
        return np._core.multiarray._reconstruct, (np.ndarray, (100_000, 100_000), b"f")


PAYLOAD = pickle.dumps({"ok": True, "value": Huge(), "ref": Ref(1), "elapsed": 0.0}, protocol=5)
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
