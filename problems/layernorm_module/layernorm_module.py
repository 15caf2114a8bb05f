"""LayerNorm as a layer object. The spec is README.md in this folder; grade with `grade layernorm_module`."""

import numpy as np


class LayerNorm:
    """Layer normalization over the trailing axes given by normalized_shape, with learned gamma and beta.

    Attributes: gamma (ones) and beta (zeros), NumPy arrays of shape normalized_shape. They may be replaced
    from outside (ln.gamma = new_array); forward uses whatever they hold when it is called.
    """

    def __init__(self, normalized_shape, eps=1e-5):
        """normalized_shape: an int D (meaning (D,)) or a tuple of ints. eps goes inside the square root.

        Set self.gamma = ones(normalized_shape) and self.beta = zeros(normalized_shape).
        """
        raise NotImplementedError

    def forward(self, x):
        """x: (*leading, *normalized_shape), any number of leading axes (zero included).

        Returns y, the same shape and dtype as x: each trailing slice normalized on its own, then scaled
        by gamma and shifted by beta. Keep on self whatever backward needs.
        """
        raise NotImplementedError

    def backward(self, dout):
        """dout: dL/dy for the most recent forward call, shaped like its x.

        Returns (dx, dgamma, dbeta): dx shaped like x; dgamma and dbeta shaped like gamma (normalized_shape).
        """
        raise NotImplementedError
