"""AdaNorm forward and backward. The spec is README.md in this folder; grade with `grade adanorm`."""

import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    """Normalize each row of x as LayerNorm does (no gamma, no beta), then scale each value by C * (1 - k * y).

    x: (N, D). y = (x - mean) / sqrt(var + eps) over the row; z = C * (1 - k * y) * y.
    Returns (z, cache): z is (N, D) in x's dtype; cache holds whatever adanorm_backward needs.
    """
    raise NotImplementedError


def adanorm_backward(dz, cache):
    """Gradient of the loss with respect to x, given dz = dL/dz of shape (N, D).

    The scaling weight C * (1 - k * y) is treated as a constant here, as the paper does (see the spec).
    Returns dx, an (N, D) array, on its own (not in a tuple).
    """
    raise NotImplementedError
