"""LayerNorm warm-up, the forward pass only. The spec is README.md in this folder; grade with `grade layernorm_basic`."""

import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    """Implement layer normalization from scratch.

    x: (batch_size, features). gamma, beta: (features,). eps: small constant for numerical stability.
    Returns the normalized array, of the same shape and dtype as x:
      1. the mean along the feature dimension, 2. the variance along the feature dimension,
      3. normalize, 4. scale by gamma and shift by beta.
    """
    raise NotImplementedError
