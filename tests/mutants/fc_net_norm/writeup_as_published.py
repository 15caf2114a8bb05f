# mistake: the write-up's own code (seed 002) as published, with layer_utils-style helpers it relies on: the layernorm branch reads self.ln_params (never created), layernorm_backward uses x_T before assigning it, the batchnorm+dropout branch indexes an undefined dropout_param, and without normalization dropout is never applied
# caught-by: contract, hidden, gradcheck, examples
# diagnosis: ln_params
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



# ---------------------------------------------------------------- the write-up's layers
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        sample_mean = np.mean(x, axis=0)
        sample_var = np.var(x, axis=0)
        x1 = (x - sample_mean) / np.sqrt(sample_var + eps)
        out = x1 * gamma + beta
        cache = (x, gamma, beta, x1, sample_mean, sample_var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == 'test':
        x1 = (x - running_mean) / np.sqrt(running_var + eps)
        out = x1 * gamma + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, gamma, beta, x1, sample_mean, sample_var, eps = cache
    N = x.shape[0]
    dx1 = dout * gamma
    dgamma = np.sum(dout * x1, axis=0)
    dbeta = np.sum(dout, axis=0)
    dsample_var = np.sum(-dx1 * (x - sample_mean) * 0.5 * ((sample_var + eps) ** -1.5), axis=0)
    dx = dsample_var * np.ones_like(x) / N * 2 * (x - sample_mean)
    dsample_mean = np.sum(-dx1 / np.sqrt(sample_var + eps), axis=0)
    dsample_mean += dsample_var * np.sum(-2 * (x - sample_mean), axis=0) / N
    dx += dsample_mean * np.ones_like(x) / N
    dx += ((sample_var + eps) ** -0.5) * dx1
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    out, cache = None, None
    eps = ln_param.get('eps', 1e-5)
    x_T = x.T
    sample_mean = np.mean(x_T, axis=0)
    sample_var = np.var(x_T, axis=0)
    x_norm_T = (x_T - sample_mean) / np.sqrt(sample_var + eps)
    x_norm = x_norm_T.T
    out = x_norm * gamma + beta
    cache = (x, x_norm, gamma, beta, sample_mean, sample_var, eps)
    return out, cache


def layernorm_backward(dout, cache):
    x, x_norm, gamma, beta, sample_mean, sample_var, eps = cache
    D = x_T.shape[0]
    x_T = x.T
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(x_norm * dout, axis=0)
    dx_norm = dout * gamma
    dx_norm_T = dx_norm.T
    dsample_var = np.sum(-dx_norm_T * (x_T - sample_mean) * 0.5 * ((sample_var + eps) ** -1.5), axis=0)
    dx_T = dsample_var * np.ones_like(x_T) / D * 2 * (x_T - sample_mean)
    dsample_mean = np.sum(-dx_norm_T / np.sqrt(sample_var + eps), axis=0)
    dsample_mean += dsample_var * np.sum(-2 * (x_T - sample_mean), axis=0) / D
    dx_T += dsample_mean * np.ones_like(x_T) / D
    dx_T += ((sample_var + eps) ** -0.5) * dx_norm_T
    dx = dx_T.T
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- layer_utils-style sandwiches (not in the write-up)
def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = affine_forward(x, w, b)
    a, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward(da, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_bn_relu_drop_forward(x, w, b, gamma, beta, bn_param, dropout_param):
    out, cache = affine_bn_relu_forward(x, w, b, gamma, beta, bn_param)
    out, drop_cache = dropout_forward(out, dropout_param)
    return out, (cache, drop_cache)


def affine_bn_relu_drop_backward(dout, cache):
    cache, drop_cache = cache
    return affine_bn_relu_backward(dropout_backward(dout, drop_cache), cache)


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = affine_forward(x, w, b)
    a, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, ln_cache, relu_cache)


# ---------------------------------------------------------------- the write-up's network
class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        for i in range(self.num_layers - 1):
            W_size = (hidden_dims[i-1], hidden_dims[i])
            b_size = (hidden_dims[i],)
            if i == 0:
                W_size = (input_dim, hidden_dims[0])
            self.params['W' + str(i+1)] = np.random.normal(loc=0.0, scale=weight_scale, size=W_size)
            self.params['b' + str(i+1)] = np.zeros(b_size)
            if self.normalization:
                self.params['gamma' + str(i+1)] = np.ones((hidden_dims[i],))
                self.params['beta' + str(i+1)] = np.zeros((hidden_dims[i],))

        self.params['W' + str(self.num_layers)] = np.random.normal(loc=0.0, scale=weight_scale, size=(hidden_dims[-1], num_classes))
        self.params['b' + str(self.num_layers)] = np.zeros((num_classes,))

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout}
            if seed is not None:
                self.dropout_param['seed'] = seed

        self.bn_params = []
        if self.normalization == 'batchnorm':
            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]
        if self.normalization == 'layernorm':
            self.bn_params = [{} for i in range(self.num_layers - 1)]

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.normalization == 'batchnorm':
            for bn_param in self.bn_params:
                bn_param['mode'] = mode
        scores = None

        hidden_out, caches = [0] * self.num_layers, [0] * self.num_layers

        for i in range(self.num_layers-1):
            w, b = self.params['W'+str(i+1)], self.params['b'+str(i+1)]

            if self.normalization == 'batchnorm':
                gamma, beta = self.params['gamma'+str(i+1)], self.params['beta'+str(i+1)]
                if self.use_dropout:
                    if i == 0:
                        hidden_out[i], caches[i] = affine_bn_relu_drop_forward(X, w, b, gamma, beta, self.bn_params[i], dropout_param[i])
                    else:
                        hidden_out[i], caches[i] = affine_bn_relu_drop_forward(hidden_out[i-1], w, b, gamma, beta, self.bn_params[i], dropout_param[i])
                else:
                    if i == 0:
                        hidden_out[i], caches[i] = affine_bn_relu_forward(X, w, b, gamma, beta, self.bn_params[i])
                    else:
                        hidden_out[i], caches[i] = affine_bn_relu_forward(hidden_out[i-1], w, b, gamma, beta, self.bn_params[i])

            elif self.normalization == 'layernorm':
                gamma, beta = self.params['gamma'+str(i+1)], self.params['beta'+str(i+1)]
                if i == 0:
                    hidden_out[i], caches[i] = affine_ln_relu_forward(X, w, b, gamma, beta, self.ln_params[i])
                else:
                    hidden_out[i], caches[i] = affine_ln_relu_forward(hidden_out[i-1], w, b, gamma, beta, self.ln_params[i])

            else:
                if i == 0:
                    hidden_out[i], caches[i] = affine_relu_forward(X, w, b)
                else:
                    hidden_out[i], caches[i] = affine_relu_forward(hidden_out[i-1], w, b)

        w, b = self.params['W'+str(self.num_layers)], self.params['b'+str(self.num_layers)]
        hidden_out[self.num_layers - 1], caches[self.num_layers - 1] = affine_forward(hidden_out[self.num_layers - 2], w, b)

        scores = hidden_out[self.num_layers-1]

        if mode == 'test':
            return scores

        loss, grads = 0.0, {}
        loss, dscores = softmax_loss(scores, y)

        dhidden_out = [1] * self.num_layers
        dhidden_out[self.num_layers-1] = dscores

        dx, dw, db = affine_backward(dscores, caches[self.num_layers-1])
        dhidden_out[self.num_layers-2], grads['W' + str(self.num_layers)], grads['b'+str(self.num_layers)] = dx, dw, db
        loss += 0.5 * self.reg * np.sum(self.params['W' + str(self.num_layers)] ** 2)
        grads['W' + str(self.num_layers)] += self.reg * self.params['W' + str(self.num_layers)]

        for n in range(self.num_layers-1):
            i = self.num_layers-2- n
            if self.normalization == 'batchnorm':
                if self.use_dropout:
                    dx, dw, db, dgamma, dbeta = affine_bn_relu_drop_backward(dhidden_out[i], caches[i])
                    grads['gamma'+str(i+1)], grads['beta' + str(i+1)] = dgamma, dbeta
                    if i ==0:
                        dX, grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db
                    else:
                        dhidden_out[i-1], grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db
                else:
                    dx, dw, db, dgamma, dbeta = affine_bn_relu_backward(dhidden_out[i], caches[i])
                    grads['gamma'+str(i+1)], grads['beta' + str(i+1)] = dgamma, dbeta
                    if i ==0:
                        dX, grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db
                    else:
                        dhidden_out[i-1], grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db

            else:
                dx, dw, db = affine_relu_backward(dhidden_out[i], caches[i])
                if i ==0:
                    dX, grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db
                else:
                    dhidden_out[i-1], grads['W' + str(i+1)], grads['b' + str(i+1)] = dx, dw, db

            loss += 0.5 * self.reg * np.sum(self.params['W' + str(i+1)] ** 2)
            grads['W' + str(i+1)] += self.reg * self.params['W' + str(i+1)]

        return loss, grads
