"""BatchNorm forward and backward, training mode. The spec is README.md here; grade with `grade batchnorm`."""

import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Normalize each column of x with the batch's mean and biased variance, then scale and shift.

    x: (N, D). gamma, beta: (D,). eps goes inside the square root.
    Returns (out, cache): out is (N, D) in x's dtype; cache is a dict of what batchnorm_backward needs.
    """
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    """Gradients with respect to x, gamma and beta, given dout = dL/dout of shape (N, D).

    Returns (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
    """
    raise NotImplementedError
