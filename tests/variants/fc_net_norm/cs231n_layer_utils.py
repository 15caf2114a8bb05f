# variant: CS231n 2019-style: combined affine-norm-relu layers, tuple caches, batchnorm backward staged through its computation graph, layernorm as transposed batchnorm, np.random.normal init, layers kept in lists
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
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
        sample_mean = np.mean(x, axis=0)
        xmu = x - sample_mean
        sq = xmu ** 2
        sample_var = np.mean(sq, axis=0)
        sqrtvar = np.sqrt(sample_var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        out = gamma * xhat + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, sample_var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    # The computation graph, node by node (Kratzert's staged version).
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D), dtype=dout.dtype) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D), dtype=dout.dtype) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    # Batchnorm's training-mode code on the transpose: the statistics of each example become column statistics.
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    mu = np.mean(xt, axis=0)
    xmu = xt - mu
    var = np.mean(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat_t = xmu * ivar
    out = gamma * xhat_t.T + beta
    return out, (xhat_t, gamma, xmu, ivar, sqrtvar, var, eps)


def layernorm_backward(dout, cache):
    xhat_t, gamma, xmu, ivar, sqrtvar, var, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat_t.T, axis=0)
    dxhat_t = (dout * gamma).T
    D = dxhat_t.shape[0]
    dx_t = ivar / D * (D * dxhat_t - np.sum(dxhat_t, axis=0) - xhat_t * np.sum(dxhat_t * xhat_t, axis=0))
    return dx_t.T, dgamma, dbeta


def affine_norm_relu_forward(x, w, b, gamma, beta, param, norm):
    a, fc_cache = affine_forward(x, w, b)
    if norm == "batchnorm":
        a, norm_cache = batchnorm_forward(a, gamma, beta, param)
    else:
        a, norm_cache = layernorm_forward(a, gamma, beta, param)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, norm_cache, relu_cache)


def affine_norm_relu_backward(dout, cache, norm):
    fc_cache, norm_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    if norm == "batchnorm":
        da, dgamma, dbeta = batchnorm_backward(da, norm_cache)
    else:
        da, dgamma, dbeta = layernorm_backward(da, norm_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        layer_dims = np.hstack([input_dim, hidden_dims, num_classes])
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = np.random.normal(0, weight_scale, (layer_dims[i], layer_dims[i + 1]))
            self.params["b%d" % (i + 1)] = np.zeros(layer_dims[i + 1])
        if self.normalization is not None:
            for i in range(self.num_layers - 1):
                self.params["gamma%d" % (i + 1)] = np.ones(layer_dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(layer_dims[i + 1])

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

        caches, dropout_caches = [], []
        out = X
        for i in range(self.num_layers - 1):
            w, b = self.params["W%d" % (i + 1)], self.params["b%d" % (i + 1)]
            if self.normalization is None:
                out, cache = affine_relu_forward(out, w, b)
            else:
                gamma, beta = self.params["gamma%d" % (i + 1)], self.params["beta%d" % (i + 1)]
                out, cache = affine_norm_relu_forward(out, w, b, gamma, beta, self.bn_params[i], self.normalization)
            caches.append(cache)
            if self.use_dropout:
                out, dcache = dropout_forward(out, self.dropout_param)
                dropout_caches.append(dcache)
        w, b = self.params["W%d" % self.num_layers], self.params["b%d" % self.num_layers]
        scores, cache = affine_forward(out, w, b)
        caches.append(cache)

        if mode == "test":
            return scores

        grads = {}
        loss, dscores = softmax_loss(scores, y)
        for i in range(self.num_layers):
            w = self.params["W%d" % (i + 1)]
            loss += 0.5 * self.reg * np.sum(w * w)

        dout, dw, db = affine_backward(dscores, caches[-1])
        grads["W%d" % self.num_layers] = dw + self.reg * self.params["W%d" % self.num_layers]
        grads["b%d" % self.num_layers] = db
        for i in range(self.num_layers - 2, -1, -1):
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_caches[i])
            if self.normalization is None:
                dout, dw, db = affine_relu_backward(dout, caches[i])
            else:
                dout, dw, db, dgamma, dbeta = affine_norm_relu_backward(dout, caches[i], self.normalization)
                grads["gamma%d" % (i + 1)] = dgamma
                grads["beta%d" % (i + 1)] = dbeta
            grads["W%d" % (i + 1)] = dw + self.reg * self.params["W%d" % (i + 1)]
            grads["b%d" % (i + 1)] = db
        return loss, grads
