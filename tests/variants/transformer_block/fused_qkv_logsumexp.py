# variant: PyTorch's layout: one fused in_proj (W_q|W_k|W_v as (D, 3D)), an additive float mask, softmax as exp(s - logsumexp(s)), einsum(optimize=True)
import math

import numpy as np


class Block:
    def __init__(self, params, nhead, eps):
        self.p, self.nhead, self.eps = params, nhead, eps
        self.in_proj_weight = np.concatenate([params["W_q"], params["W_k"], params["W_v"]], axis=1)
        self.in_proj_bias = np.concatenate([params["b_q"], params["b_k"], params["b_v"]])

    def norm(self, x, i):
        centered = x - x.mean(-1)[..., None]
        inv = 1.0 / np.sqrt((centered**2).mean(-1)[..., None] + self.eps)
        return centered * inv * self.p[f"ln{i}_gamma"] + self.p[f"ln{i}_beta"]

    def attn(self, x, mask):
        n, length, d = x.shape
        dh = d // self.nhead
        qkv = (x @ self.in_proj_weight + self.in_proj_bias).reshape(n, length, 3, self.nhead, dh)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (N, L, H, dh)
        s = np.einsum("nqhd,nkhd->nhqk", q, k, optimize=True) / math.sqrt(dh)
        if mask is not None:
            s = s + np.where(mask, -np.inf, 0.0).astype(x.dtype)[:, None, None, :]
        top = s.max(-1, keepdims=True)
        lse = top + np.log(np.exp(s - top).sum(-1, keepdims=True))
        a = np.exp(s - lse)
        ctx = np.einsum("nhqk,nkhd->nqhd", a, v, optimize=True).reshape(n, length, d)
        return ctx @ self.p["W_o"] + self.p["b_o"]

    def ff(self, x):
        h = x @ self.p["W1"] + self.p["b1"]
        return (h * (h > 0)) @ self.p["W2"] + self.p["b2"]


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    b = Block(params, nhead, eps)
    if norm_first:
        x = x + b.attn(b.norm(x, 1), key_padding_mask)
        return x + b.ff(b.norm(x, 2))
    x = b.norm(x + b.attn(x, key_padding_mask), 1)
    return b.norm(x + b.ff(x), 2)
