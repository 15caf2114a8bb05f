"""Conditional LayerNorm forward and backward. The spec is README.md in this folder; grade with `grade conditional_layernorm`."""

import numpy as np


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    """Normalize each row of x over its D features, then scale and shift it by gamma and beta computed
    from the row's condition: gamma = c @ W_gamma + b_gamma, beta = c @ W_beta + b_beta, both (N, D).

    x: (N, D). c: (N, K). W_gamma, W_beta: (K, D). b_gamma, b_beta: (D,). eps goes inside the square root.
    Returns (y, cache): y is (N, D) in x's dtype; cache holds whatever conditional_layernorm_backward needs.
    """
    raise NotImplementedError


def conditional_layernorm_backward(dy, cache):
    """Gradients of the loss given dy = dL/dy of shape (N, D).

    Returns (dx, dc, dW_gamma, db_gamma, dW_beta, db_beta), each in the shape of the matching input.
    """
    raise NotImplementedError
