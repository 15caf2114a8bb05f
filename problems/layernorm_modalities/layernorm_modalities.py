"""LayerNorm for images, padded text and time series. The spec is README.md in this folder; grade with
`grade layernorm_modalities`."""

import numpy as np


def image_layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalize each image of x (N, C, H, W) over all of its C*H*W values; scale and shift per channel.

    gamma, beta: (C,). eps goes inside the square root.
    Returns (out, cache): out is (N, C, H, W) in x's dtype; cache holds whatever the backward pass needs.
    """
    raise NotImplementedError


def image_layernorm_backward(dout, cache):
    """Gradients with respect to x, gamma and beta, given dout = dL/dout of shape (N, C, H, W).

    Returns (dx, dgamma, dbeta): dx is (N, C, H, W); dgamma and dbeta are (C,).
    """
    raise NotImplementedError


def text_layernorm_forward(x, gamma, beta, mask, eps=1e-5):
    """Normalize each real token of x (N, L, D) over its D features; padded tokens give exactly 0.

    gamma, beta: (D,). mask: (N, L) bool, True for real tokens, False for padding. eps goes inside the
    square root. Returns (out, cache): out is (N, L, D) in x's dtype, 0 at every padded token.
    """
    raise NotImplementedError


def text_layernorm_backward(dout, cache):
    """Gradients with respect to x, gamma and beta, given dout = dL/dout of shape (N, L, D).

    Padded tokens get dx = 0 and add nothing to dgamma or dbeta, whatever dout holds there.
    Returns (dx, dgamma, dbeta): dx is (N, L, D); dgamma and dbeta are (D,).
    """
    raise NotImplementedError


def timeseries_layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalize each time step of x (N, T, F) over its F features; scale and shift per feature.

    gamma, beta: (F,). eps goes inside the square root.
    Returns (out, cache): out is (N, T, F) in x's dtype; cache holds whatever the backward pass needs.
    """
    raise NotImplementedError


def timeseries_layernorm_backward(dout, cache):
    """Gradients with respect to x, gamma and beta, given dout = dL/dout of shape (N, T, F).

    Returns (dx, dgamma, dbeta): dx is (N, T, F); dgamma and dbeta are (F,).
    """
    raise NotImplementedError
