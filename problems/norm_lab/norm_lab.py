"""Normalization lab: four experiments as functions. The spec is README.md in this folder; grade with `grade norm_lab`."""

import numpy as np


def activation_stats(weight_scale, depth, width, norm=None, batch_size=128, seed=0, eps=1e-5):
    """A deep ReLU network at initialization: [mean, std] of every layer's normalized pre-activation z.

    rng = np.random.default_rng(seed); h = rng.standard_normal((batch_size, width)) first, then per layer
    W = weight_scale * rng.standard_normal((width, width)), z = normalize(h @ W), h = max(z, 0).
    norm: None, 'layernorm' (per row) or 'batchnorm' (per column); anything else raises ValueError.
    Returns a float64 array of shape (depth, 2).
    """
    raise NotImplementedError


def normalize_in_batches(x, norm, batch_size, eps=1e-5):
    """x: (N, D), normalized in consecutive batches of batch_size rows (the last one may be shorter).

    Each batch uses its own statistics. Returns (N, D) in x's dtype, rows in their original order.
    """
    raise NotImplementedError


def batch_size_sensitivity(x, norm, batch_sizes, eps=1e-5):
    """For each b in batch_sizes: the RMS of normalize_in_batches(x, norm, b) - normalize_in_batches(x, norm, N).

    Returns a float64 array of shape (len(batch_sizes),).
    """
    raise NotImplementedError


def residual_stream_rms(depth, width, norm_first, batch_size=64, seed=0, eps=1e-5):
    """A stack of residual feed-forward blocks, pre-LN (norm_first=True) or post-LN: the stream's RMS.

    rng = np.random.default_rng(seed); x = rng.standard_normal((batch_size, width)); per block
    W1 then W2 = rng.standard_normal((width, width)) / sqrt(width), FF(u) = max(u @ W1, 0) @ W2;
    pre-LN: x = x + FF(LN(x)); post-LN: x = LN(x + FF(x)).
    Returns a float64 array of shape (depth + 1,): the RMS of the input, then after each block.
    """
    raise NotImplementedError
