"""Initializing gamma and beta in a deep residual stack: six functions. The spec is README.md in this folder;
grade with `grade norm_init`."""

import numpy as np


def init_params(strategy, depth, width, seed=0):
    """Parameters of a residual stack, initialized by `strategy`.

    rng = np.random.default_rng(seed); per block W1 then W2 = rng.standard_normal((width, width)) / sqrt(width),
    all weights first. Betas 0. 'standard': gammas 1; 'zero_residual': g1 = 1, g2 = 0; 'small_random': then per
    block g1, g2 = 0.1 * rng.standard_normal(width); 'large': gammas 4.0. Anything else raises ValueError.
    Returns a dict of six float64 arrays: W1, W2 (depth, width, width); g1, b1, g2, b2 (depth, width).
    """
    raise NotImplementedError


def residual_stack_forward(x, params, eps=1e-5):
    """Per block: h = max(g1 * LN(x @ W1) + b1, 0); x = x + g2 * LN(h @ W2) + b2 (LN per row).

    Returns (out, cache): out (N, width), the stream after the last block; cache, what the backward needs.
    """
    raise NotImplementedError


def residual_stack_backward(dout, cache):
    """Gradients of sum(out * dout). Returns (dx, grads): dx (N, width), grads a dict with params' keys and shapes."""
    raise NotImplementedError


def output_scale_by_depth(x, params, eps=1e-5):
    """The stream's np.std over all elements, before the first block and after each block: a float64 (depth + 1,) array."""
    raise NotImplementedError


def train_steps(x, y, params, lr, steps, eps=1e-5):
    """Plain SGD on L = mean((out - y) ** 2), every parameter, on a copy of params.

    Returns (losses, trained): losses a float64 (steps + 1,) array (losses[0] before any step), trained a new dict.
    """
    raise NotImplementedError


def init_experiment(x, y, depth, lr, steps, seed=0, eps=1e-5):
    """For each strategy, params = init_params(strategy, depth, x.shape[1], seed) (the same weights for all four).

    Returns {strategy: {"scale": output_scale_by_depth(x, params, eps), "loss": train_steps(...)[0]}}.
    """
    raise NotImplementedError
