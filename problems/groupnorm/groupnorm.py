"""Spatial GroupNorm forward and backward (CS231n). The spec is README.md in this folder; grade with `grade groupnorm`."""

import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Normalize each sample's channels in G groups of C // G consecutive channels, then scale and shift.

    x: (N, C, H, W). gamma, beta: (1, C, 1, 1), one value per channel. G divides C.
    gn_param: a dict; gn_param.get("eps", 1e-5) goes inside the square root. Other keys are ignored.
    Statistics (mean, biased variance) are taken per sample and per group, over the group's (C // G, H, W).
    Returns (out, cache): out is (N, C, H, W) in x's dtype; cache holds whatever the backward pass needs.
    """
    raise NotImplementedError


def spatial_groupnorm_backward(dout, cache):
    """Gradients of the loss with respect to x, gamma and beta, given dout = dL/dout of shape (N, C, H, W).

    Returns (dx, dgamma, dbeta): dx is (N, C, H, W); dgamma and dbeta are (1, C, 1, 1), like gamma.
    """
    raise NotImplementedError
