# mistake: pre-LN's feed-forward sublayer lost its residual: x = FF(LN2(x)) instead of x = x + FF(LN2(x))
# caught-by: hidden
# diagnosis: residual connection around the feed-forward is missing
# not-said: LN1 was never applied|LN2 was never applied|self-attention is missing
import math

import numpy as np


def _layer_norm(x, gamma, beta, eps):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = np.einsum("...i,...i->...", xc, xc)[..., None] / x.shape[-1]
    xc *= 1.0 / np.sqrt(var + eps)
    xc *= gamma
    xc += beta
    return xc


def _self_attention(x, p, nhead, key_padding_mask):
    n, length, d = x.shape
    dh = d // nhead

    def heads(w, b):  # (N, L, D) -> (N, H, L, Dh)
        return (x @ p[w] + p[b]).reshape(n, length, nhead, dh).transpose(0, 2, 1, 3)

    q, k, v = heads("W_q", "b_q"), heads("W_k", "b_k"), heads("W_v", "b_v")
    scores = q @ k.transpose(0, 1, 3, 2)
    scores *= 1.0 / math.sqrt(dh)
    if key_padding_mask is not None:  # -inf on padded keys, broadcast over heads and queries
        scores += np.where(key_padding_mask, -np.inf, 0.0).astype(x.dtype)[:, None, None, :]
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
    return context @ p["W_o"] + p["b_o"]


def _feed_forward(x, p):
    h = x @ p["W1"] + p["b1"]
    np.maximum(h, 0, out=h)
    return h @ p["W2"] + p["b2"]


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    p = params
    if norm_first:
        x = x + _self_attention(_layer_norm(x, p["ln1_gamma"], p["ln1_beta"], eps), p, nhead, key_padding_mask)
        x = _feed_forward(_layer_norm(x, p["ln2_gamma"], p["ln2_beta"], eps), p)  # the mistake: no x + (residual lost)
        return x
    x = _layer_norm(x + _self_attention(x, p, nhead, key_padding_mask), p["ln1_gamma"], p["ln1_beta"], eps)
    return _layer_norm(x + _feed_forward(x, p), p["ln2_gamma"], p["ln2_beta"], eps)
