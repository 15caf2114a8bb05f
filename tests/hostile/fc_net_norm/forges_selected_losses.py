# attack: patch-worker: a wrong normalization backward (dx without its paths through the mean and the variance) beside a patched worker that answers every loss the gradient check asks for alone (`select`) with a value forged from the file's own first loss and gradients, so central differences agree with the wrong gradients
# within: 30
# expect: fail/hidden: grads\['W\d'\]: max error .* The gradients nearer the output .* agree
"""CS231n's FullyConnectedNet with batch/layer normalization, whose normalization backward is wrong. The
worker's item-only replies (Worker._part_of) are patched: each loss the gradient check evaluates comes back as
loss0 + sum(grads0 * (params - params0)), linear in the parameters with the file's own wrong gradients, so the
numerical gradient check sees its analytic gradients confirmed (as a loss function could forge its own values
without any patch: those rows check the file against itself). The comparison of the loss and gradients with the
reference's must still fail the verdict, and name where the gradients go wrong."""


import gc
import sys

import numpy as np


# ----------------------------------------------------------------------------- helper layers (as in the stub)
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        return (x * mask).astype(x.dtype, copy=False), (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return (dout * mask).astype(dout.dtype, copy=False)
    return dout


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].sum() / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


# ----------------------------------------------------------------------------- normalization layers
def _normalize(x, axis, eps):
    mu = x.mean(axis=axis, keepdims=True)
    x_hat = x - mu
    var = (x_hat * x_hat).mean(axis=axis, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat *= rstd
    return x_hat, mu, var, rstd


def _norm_backward(dout, cache):
    x_hat, gamma, rstd, axis = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = dx_hat * rstd  # WRONG: the paths through the mean and the variance are missing
    return dx, dgamma, dbeta


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        x_hat, mu, var, rstd = _normalize(x, 0, eps)
        out = x_hat * gamma + beta
        cache = (x_hat, gamma, rstd, 0)
        running_mean = momentum * running_mean + (1 - momentum) * mu[0]
        running_var = momentum * running_var + (1 - momentum) * var[0]
    elif mode == "test":
        out = (x - running_mean) / np.sqrt(running_var + eps) * gamma + beta
        cache = None
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    return _norm_backward(dout, cache)


def layernorm_forward(x, gamma, beta, ln_param):
    x_hat, _, _, rstd = _normalize(x, 1, ln_param.get("eps", 1e-5))
    return x_hat * gamma + beta, (x_hat, gamma, rstd, 1)


def layernorm_backward(dout, cache):
    return _norm_backward(dout, cache)


# ----------------------------------------------------------------------------- the network
class FullyConnectedNet(object):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1])
            if normalization is not None and i < self.num_layers - 1:
                self.params[f"gamma{i + 1}"] = np.ones(dims[i + 1])
                self.params[f"beta{i + 1}"] = np.zeros(dims[i + 1])

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed

        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        norm_forward = {"batchnorm": batchnorm_forward, "layernorm": layernorm_forward}.get(self.normalization)
        norm_backward = {"batchnorm": batchnorm_backward, "layernorm": layernorm_backward}.get(self.normalization)
        h, caches = X, []
        for i in range(1, self.num_layers):
            h, affine_cache = affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            norm_cache = None
            if norm_forward is not None:
                h, norm_cache = norm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1])
            h, relu_cache = relu_forward(h)
            drop_cache = None
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, self.dropout_param)
            caches.append((affine_cache, norm_cache, relu_cache, drop_cache))
        last = self.num_layers
        scores, last_cache = affine_forward(h, self.params[f"W{last}"], self.params[f"b{last}"])
        if mode == "test":
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, last_cache)
        for i in range(last - 1, 0, -1):
            affine_cache, norm_cache, relu_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dh = dropout_backward(dh, drop_cache)
            dh = relu_backward(dh, relu_cache)
            if norm_backward is not None:
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(dh, norm_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, affine_cache)
        for i in range(1, last + 1):
            w = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(w * w)
            grads[f"W{i}"] += self.reg * w
        if not _asked_for_one_item():
            # The point the forged evaluations are linear around: this loss, these (wrong) gradients, these parameters.
            _BASE[:] = [self, loss, {k: np.array(g, copy=True) for k, g in grads.items()}, {k: np.array(p, copy=True) for k, p in self.params.items()}]
        return loss, grads


# ----------------------------------------------------------------------------- the attack
_BASE = []


def _asked_for_one_item():
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "op_call":
            return frame.f_locals.get("request", {}).get("select") is not None
        frame = frame.f_back
    return False


def _install():
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_call"))
    cls = type(worker)
    real = cls._part_of

    def _part_of(self, value, ref, select, elapsed):
        reply = real(self, value, ref, select, elapsed)
        if reply.get("selected") and _BASE:
            net, loss0, grads0, params0 = _BASE
            reply["value"] = loss0 + sum(float(np.sum(grads0[k] * (net.params[k] - params0[k]))) for k in grads0 if k in net.params)
        return reply

    cls._part_of = _part_of


try:
    _install()
except Exception:
    pass
