"""One Transformer encoder block, forward only. The spec is README.md in this folder; grade with `grade transformer_block`."""

import numpy as np


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    """Multi-head self-attention and a ReLU feed-forward, each with a residual connection and a LayerNorm.

    x: (N, L, D), batch first. params: dict of arrays stored (in, out), so projections are v @ W + b:
    W_q, W_k, W_v, W_o (D, D) with b_q, b_k, b_v, b_o (D,); W1 (D, F), b1 (F,), W2 (F, D), b2 (D,);
    ln1_gamma, ln1_beta, ln2_gamma, ln2_beta (D,). nhead divides D.
    norm_first=False (post-LN): x = LN1(x + SA(x)); x = LN2(x + FF(x)).
    norm_first=True (pre-LN):   x = x + SA(LN1(x)); x = x + FF(LN2(x)).
    key_padding_mask: (N, L) bool or None; True marks a padding token that no query may attend to.
    Returns out: (N, L, D) in x's dtype.
    """
    raise NotImplementedError
