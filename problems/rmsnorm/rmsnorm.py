"""RMSNorm forward and backward. The spec is README.md in this folder; grade with `grade rmsnorm`."""

import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    """Divide each row of x by its root mean square, then scale by gamma. No mean is subtracted; no beta.

    x: (N, D). gamma: (D,). y = x / sqrt(mean(x**2 over the row) + eps) * gamma.
    Returns (y, cache): y is (N, D) in x's dtype; cache holds whatever rmsnorm_backward needs.
    """
    raise NotImplementedError


def rmsnorm_backward(dy, cache):
    """Gradients of the loss with respect to x and gamma, given dy = dL/dy of shape (N, D).

    Returns (dx, dgamma): dx is (N, D); dgamma is (D,), like gamma.
    """
    raise NotImplementedError
