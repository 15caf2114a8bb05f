"""LayerNorm forward and backward. The spec is README.md in this folder; grade with `grade layernorm`."""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalize each row of x over its D features, then scale by gamma and shift by beta.

    x: (N, D). gamma, beta: (D,) or (1, D). eps goes inside the square root.
    Returns (y, cache): y is (N, D) in x's dtype; cache holds whatever layernorm_backward needs.
    """
    raise NotImplementedError


def layernorm_backward(dy, cache):
    """Gradients of the loss with respect to x, gamma and beta, given dy = dL/dy of shape (N, D).

    Returns (dx, dgamma, dbeta): dx is (N, D); dgamma and dbeta have gamma's shape.
    """
    raise NotImplementedError
