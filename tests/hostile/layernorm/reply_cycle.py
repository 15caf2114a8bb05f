# hostile: a reply whose value is a list that contains itself
# within: 20
# expect: error: the reply is too deep
# no-pass
import gc
import os
import pickle
import struct

import numpy as np

from grader.sandbox.protocol import Ref

LOOP = []
LOOP.append(LOOP)
PAYLOAD = pickle.dumps({"ok": True, "value": LOOP, "ref": Ref(1), "elapsed": 0.0}, protocol=5)
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
