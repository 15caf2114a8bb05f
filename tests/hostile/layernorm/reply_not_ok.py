# hostile: replies with "ok": "yes" and no value at all
# within: 15
# expect: error/load: malformed reply: a reply should be a dict with 'ok': True or False, not dict of length 1
# no-pass
import gc

import numpy as np

CHANNEL = next(o for o in gc.get_objects() if type(o).__name__ == "_Channel")  # the worker's protocol pipe
HONEST_SEND = CHANNEL.send


def forged_send(reply):
    HONEST_SEND(forge(reply))


CHANNEL.send = forged_send  # every reply from now on goes through forge()


def forge(reply):
    return {"ok": "yes"} if "functions" in reply else reply


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return x_hat * gamma.reshape(-1) + beta.reshape(-1), None


def layernorm_backward(dy, cache):
    return np.zeros_like(dy), np.zeros(dy.shape[1]), np.zeros(dy.shape[1])
