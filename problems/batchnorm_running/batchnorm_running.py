"""BatchNorm with running statistics, CS231n style. The spec is README.md here; grade with `grade batchnorm_running`."""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization, train or test mode.

    x: (N, D). gamma, beta: (D,).
    bn_param: dict with 'mode' ('train' or 'test'; anything else raises ValueError) and optionally
      'eps' (default 1e-5), 'momentum' (default 0.9), 'running_mean' and 'running_var' (default zeros (D,)).
    Train mode normalizes with the batch's mean and biased variance and stores the updated running
    averages back into bn_param; test mode normalizes with the running averages and leaves them alone.
    Returns (out, cache): out is (N, D) in x's dtype; cache is whatever the backward passes need.
    """
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    """Gradients of a train-mode forward, by walking its computational graph backwards.

    dout: (N, D). Returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
    """
    raise NotImplementedError


def batchnorm_backward_alt(dout, cache):
    """The same gradients as batchnorm_backward, with dx simplified to one closed-form expression.

    dout: (N, D). Returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
    """
    raise NotImplementedError
