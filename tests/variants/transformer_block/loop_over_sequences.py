# variant: textbook loops: for each sequence, for each head, 2-D attention on (L, d_head) slices; correct but flagged by the speed row
# speed: ^not vectorized: .*\(a loop over sequences\?\)
import math

import numpy as np


def layer_norm(v, gamma, beta, eps):
    out = np.empty_like(v)
    for t in range(v.shape[0]):
        row = v[t]
        mu = row.sum() / row.size
        var = ((row - mu) ** 2).sum() / row.size
        out[t] = (row - mu) / math.sqrt(var + eps) * gamma + beta
    return out


def attention(u, p, nhead, pad):
    length, d = u.shape
    dh = d // nhead
    q, k, v = u @ p["W_q"] + p["b_q"], u @ p["W_k"] + p["b_k"], u @ p["W_v"] + p["b_v"]
    heads = []
    for h in range(nhead):
        c = slice(h * dh, (h + 1) * dh)
        scores = q[:, c] @ k[:, c].T / math.sqrt(dh)
        if pad is not None:
            scores[:, pad] = -np.inf
        w = np.exp(scores - scores.max(axis=1, keepdims=True))
        heads.append((w / w.sum(axis=1, keepdims=True)) @ v[:, c])
    return np.hstack(heads) @ p["W_o"] + p["b_o"]


def feed_forward(u, p):
    return np.maximum(u @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    p = params
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        s = x[n]
        pad = None if key_padding_mask is None else np.asarray(key_padding_mask[n], dtype=bool)
        if norm_first:
            s = s + attention(layer_norm(s, p["ln1_gamma"], p["ln1_beta"], eps), p, nhead, pad)
            s = s + feed_forward(layer_norm(s, p["ln2_gamma"], p["ln2_beta"], eps), p)
        else:
            s = layer_norm(s + attention(s, p, nhead, pad), p["ln1_gamma"], p["ln1_beta"], eps)
            s = layer_norm(s + feed_forward(s, p), p["ln2_gamma"], p["ln2_beta"], eps)
        out[n] = s
    return out
