"""Spatial batch normalization, CS231n style. The spec is README.md here; grade with `grade spatial_batchnorm`."""

import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of (N, C, H, W) activations: one mean and variance per channel, over (N, H, W).

    x: (N, C, H, W). gamma, beta: (C,).
    bn_param: dict with 'mode' ('train' or 'test'; anything else raises ValueError) and optionally
      'eps' (default 1e-5), 'momentum' (default 0.9), 'running_mean' and 'running_var' (default zeros (C,)).
    Train mode normalizes with the batch's per-channel mean and biased variance and stores the updated
    running averages back into bn_param; test mode normalizes with the running averages.
    Returns (out, cache): out is (N, C, H, W) in x's dtype; cache is whatever the backward pass needs.
    """
    raise NotImplementedError


def spatial_batchnorm_backward(dout, cache):
    """Gradients of a train-mode forward.

    dout: (N, C, H, W). Returns (dx, dgamma, dbeta) with shapes (N, C, H, W), (C,), (C,).
    """
    raise NotImplementedError
