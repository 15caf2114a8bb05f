# mistake: the attention scores are divided by sqrt(D) (the model width) instead of sqrt(d_head)
# caught-by: examples, hidden
# diagnosis: sqrt\(d_model\)
import math

import numpy as np


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def softmax(s, axis=-1):
    s = s - s.max(axis=axis, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=axis, keepdims=True)


def split_heads(t, nhead):
    N, L, D = t.shape
    return t.reshape(N, L, nhead, D // nhead).transpose(0, 2, 1, 3)


def merge_heads(t):
    N, H, L, dh = t.shape
    return t.transpose(0, 2, 1, 3).reshape(N, L, H * dh)


def self_attention(x, p, nhead, key_padding_mask):
    D = x.shape[-1]
    dh = D // nhead
    q = split_heads(x @ p["W_q"] + p["b_q"], nhead)
    k = split_heads(x @ p["W_k"] + p["b_k"], nhead)
    v = split_heads(x @ p["W_v"] + p["b_v"], nhead)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D)
    if key_padding_mask is not None:
        scores = np.where(key_padding_mask[:, None, None, :], -np.inf, scores)
    attn = softmax(scores, axis=-1)
    return merge_heads(attn @ v) @ p["W_o"] + p["b_o"]


def feed_forward(x, p):
    hidden = np.maximum(0, x @ p["W1"] + p["b1"])
    return hidden @ p["W2"] + p["b2"]


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    p = params
    if norm_first:
        x = x + self_attention(layer_norm(x, p["ln1_gamma"], p["ln1_beta"], eps), p, nhead, key_padding_mask)
        x = x + feed_forward(layer_norm(x, p["ln2_gamma"], p["ln2_beta"], eps), p)
    else:
        x = layer_norm(x + self_attention(x, p, nhead, key_padding_mask), p["ln1_gamma"], p["ln1_beta"], eps)
        x = layer_norm(x + feed_forward(x, p), p["ln2_gamma"], p["ln2_beta"], eps)
    return x
