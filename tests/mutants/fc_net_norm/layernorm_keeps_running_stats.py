# mistake: layernorm runs batchnorm_forward on the transpose with ln_param as its bn_param, which leaves running averages of shape (N,) in ln_param: the next batch of another size crashes
# caught-by: hidden
# diagnosis: could not be broadcast
import numpy as np


# ============================================================================ finished helpers
def affine_forward(x, w, b):
    """x: (N, d_1, ..., d_k), flattened to (N, D); w: (D, M); b: (M,). Returns (out (N, M), cache)."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w)


def affine_backward(dout, cache):
    """dout: (N, M). Returns (dx shaped like x, dw (D, M), db (M,))."""
    x, w = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Returns (max(x, 0), cache)."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Passes dout where the ReLU's input was positive."""
    return dout * (cache > 0)


def dropout_forward(x, dropout_param):
    """Inverted dropout. dropout_param: 'p' (probability of KEEPING a unit), 'mode' ('train' or 'test'),
    optional 'seed' (when present, the generator is reseeded on every call, so the mask is the same each time).

    In train mode each unit is kept with probability p and divided by p; in test mode x passes unchanged.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = (x * mask).astype(x.dtype, copy=False)
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """The gradient of dropout_forward: dout times the same mask in train mode, dout in test mode."""
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return (dout * mask).astype(dout.dtype, copy=False)
    return dout


def softmax_loss(x, y):
    """x: scores (N, C); y: labels (N,) in 0..C-1. Returns (mean cross-entropy loss, dx (N, C))."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx



def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        x_norm = (x - mu) / std
        out = gamma * x_norm + beta
        cache = {"x": x, "mu": mu, "var": var, "eps": eps, "gamma": gamma, "x_norm": x_norm}
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    dgamma = np.sum(dout * cache["x_norm"], axis=0)
    dbeta = np.sum(dout, axis=0)
    dx = (1.0 / N) * gamma * (var + eps) ** (-1.0 / 2.0) * (
        N * dout - np.sum(dout, axis=0) - (x - mu) * (var + eps) ** (-1.0) * np.sum(dout * (x - mu), axis=0)
    )
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    ln_param.setdefault("mode", "train")
    n = x.shape[0]
    out_t, bn_cache = batchnorm_forward(x.T, np.ones(n, dtype=x.dtype), np.zeros(n, dtype=x.dtype), ln_param)
    x_norm = out_t.T
    return x_norm * gamma + beta, (bn_cache, x_norm, gamma)


def layernorm_backward(dout, cache):
    bn_cache, x_norm, gamma = cache
    dgamma = np.sum(dout * x_norm, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_t, _, _ = batchnorm_backward((dout * gamma).T, bn_cache)
    return dx_t.T, dgamma, dbeta


class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        in_dim = input_dim
        for k, h in enumerate(list(hidden_dims) + [num_classes], start=1):
            self.params["W%d" % k] = np.random.randn(in_dim, h) * weight_scale
            self.params["b%d" % k] = np.zeros(h)
            if self.normalization and k < self.num_layers:
                self.params["gamma%d" % k] = np.ones(h)
                self.params["beta%d" % k] = np.zeros(h)
            in_dim = h

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]
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

        cache = {}
        reg_loss = 0.0
        out = X
        for k in range(1, self.num_layers + 1):
            W, b = self.params["W%d" % k], self.params["b%d" % k]
            reg_loss += 0.5 * self.reg * np.sum(W * W)
            out, cache["affine%d" % k] = affine_forward(out, W, b)
            if k == self.num_layers:
                break
            if self.normalization == "batchnorm":
                out, cache["norm%d" % k] = batchnorm_forward(out, self.params["gamma%d" % k], self.params["beta%d" % k], self.bn_params[k - 1])
            elif self.normalization == "layernorm":
                out, cache["norm%d" % k] = layernorm_forward(out, self.params["gamma%d" % k], self.params["beta%d" % k], self.bn_params[k - 1])
            out, cache["relu%d" % k] = relu_forward(out)
            if self.use_dropout:
                out, cache["drop%d" % k] = dropout_forward(out, self.dropout_param)
        scores = out
        if mode == "test":
            return scores

        loss, dout = softmax_loss(scores, y)
        loss += reg_loss
        grads = {}
        for k in range(self.num_layers, 0, -1):
            if k < self.num_layers:
                if self.use_dropout:
                    dout = dropout_backward(dout, cache["drop%d" % k])
                dout = relu_backward(dout, cache["relu%d" % k])
                if self.normalization == "batchnorm":
                    dout, grads["gamma%d" % k], grads["beta%d" % k] = batchnorm_backward(dout, cache["norm%d" % k])
                elif self.normalization == "layernorm":
                    dout, grads["gamma%d" % k], grads["beta%d" % k] = layernorm_backward(dout, cache["norm%d" % k])
            dout, dW, db = affine_backward(dout, cache["affine%d" % k])
            grads["W%d" % k] = dW + self.reg * self.params["W%d" % k]
            grads["b%d" % k] = db
        return loss, grads
