"""A fully-connected net with batch/layer normalization and dropout (CS231n). The spec is README.md here.

Grade with `grade fc_net_norm`. Only FullyConnectedNet is graded; the file must hold everything it uses.
The helper layers below (affine, ReLU, dropout, softmax loss) are finished and correct: use them as they
are. Yours to write: the four normalization functions and the FullyConnectedNet class.
"""

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


# ============================================================================ yours: normalization layers
def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of x (N, D), per feature, with running averages kept in bn_param.

    bn_param: 'mode' ('train' or 'test', required), optional 'eps' (default 1e-5), 'momentum' (default 0.9),
    'running_mean' and 'running_var' (default: zeros of shape (D,), in x's dtype).
    train: normalize with the batch's mean and biased variance, then update
        running_mean = momentum * running_mean + (1 - momentum) * batch mean   (and the same for the variance)
    test: normalize with running_mean and running_var.
    Store the running averages back into bn_param. Returns (out (N, D), cache).
    """
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    """Gradients of the train-mode batchnorm_forward. Returns (dx (N, D), dgamma (D,), dbeta (D,))."""
    raise NotImplementedError


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization of x (N, D): each example over its D features, the same in train and test mode.

    ln_param: optional 'eps' (default 1e-5). Returns (out (N, D), cache).
    """
    raise NotImplementedError


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward. Returns (dx (N, D), dgamma (D,), dbeta (D,))."""
    raise NotImplementedError


# ============================================================================ yours: the network
class FullyConnectedNet(object):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax, L = len(hidden_dims) + 1.

    Parameters live in self.params: W1, b1, ..., WL, bL and, with a normalization, gamma1, beta1, ...,
    gamma(L-1), beta(L-1). The loss adds 0.5 * reg * sum(W**2) for every weight matrix (not the biases,
    not gamma/beta).
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        """hidden_dims: list of hidden layer sizes. dropout: probability of KEEPING a unit (1: no dropout).
        normalization: None, "batchnorm" or "layernorm". reg: L2 strength. weight_scale: standard deviation
        of the initial weights. dtype: the dtype of the parameters and of every computation. seed: when not
        None, passed to the dropout layers so their masks are the same on every call.

        Initialize W_i from a normal distribution with mean 0 and standard deviation weight_scale, the
        biases to zeros, gamma_i to ones and beta_i to zeros, all in dtype.
        """
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # One dict shared by every dropout layer: pass self.dropout_param to each dropout_forward.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # One dict PER normalization layer: pass self.bn_params[i] to layer i + 1's batchnorm_forward (as its
        # bn_param) or layernorm_forward (as its ln_param). The running averages live in them.
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        # Yours: fill self.params (W1, b1, gamma1, beta1, ..., WL, bL), every array in self.dtype.
        raise NotImplementedError

    def loss(self, X, y=None):
        """X: (N, d_1, ..., d_k); y: labels (N,) or None.

        y is None (test mode): return the scores, shape (N, num_classes).
        Otherwise (train mode): return (loss, grads), grads[k] the gradient of the loss for self.params[k].
        Read the parameters from self.params on every call.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Batchnorm and dropout behave differently in training and testing.
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        # Yours: the forward pass (scores), then in train mode the loss with L2 and the backward pass.
        raise NotImplementedError
