"""LayerNorm with CS231n's signatures. The spec is README.md in this folder; grade with `grade layernorm_cs231n`
(or grade your own assignment file: `grade layernorm_cs231n --file layers.py`)."""

import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass for layer normalization: normalize each row of x over its D features, then scale and shift.

    x: (N, D). gamma, beta: (D,). ln_param: dict; eps = ln_param.get('eps', 1e-5), other keys are ignored.
    Returns (out, cache): out is (N, D) in x's dtype; cache holds whatever layernorm_backward needs.
    """
    raise NotImplementedError


def layernorm_backward(dout, cache):
    """Backward pass for layer normalization, given dout = dL/dout of shape (N, D) and the forward's cache.

    Returns (dx, dgamma, dbeta): dx is (N, D); dgamma and dbeta are (D,).
    """
    raise NotImplementedError
