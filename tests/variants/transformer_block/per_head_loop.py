# variant: a loop over the heads with 3-D matmuls, q pre-scaled by d_head ** -0.5, padded keys filled with -1e9, LayerNorm through x.std
import numpy as np


def _ln(x, gamma, beta, eps):
    mu = np.mean(x, axis=2, keepdims=True)
    sigma2 = np.std(x, axis=2, keepdims=True) ** 2
    return gamma * (x - mu) / np.sqrt(sigma2 + eps) + beta


def _attention(x, params, nhead, key_padding_mask):
    n, length, d = x.shape
    dh = d // nhead
    q = (x @ params["W_q"] + params["b_q"]) * dh**-0.5
    k = x @ params["W_k"] + params["b_k"]
    v = x @ params["W_v"] + params["b_v"]
    outputs = []
    for h in range(nhead):
        cols = slice(h * dh, (h + 1) * dh)
        scores = np.matmul(q[:, :, cols], np.swapaxes(k[:, :, cols], 1, 2))  # (N, Lq, Lk)
        if key_padding_mask is not None:
            scores = np.where(key_padding_mask[:, None, :], -1e9, scores)
        scores = scores - np.max(scores, axis=2, keepdims=True)
        weights = np.exp(scores)
        weights = weights / np.sum(weights, axis=2, keepdims=True)
        outputs.append(np.matmul(weights, v[:, :, cols]))
    return np.concatenate(outputs, axis=2) @ params["W_o"] + params["b_o"]


def _ffn(x, params):
    return np.clip(x @ params["W1"] + params["b1"], 0, None) @ params["W2"] + params["b2"]


def encoder_block_forward(x, params, nhead, norm_first=False, eps=1e-5, key_padding_mask=None):
    ln1 = lambda t: _ln(t, params["ln1_gamma"], params["ln1_beta"], eps)  # noqa: E731
    ln2 = lambda t: _ln(t, params["ln2_gamma"], params["ln2_beta"], eps)  # noqa: E731
    if norm_first:
        h = x + _attention(ln1(x), params, nhead, key_padding_mask)
        return h + _ffn(ln2(h), params)
    h = ln1(x + _attention(x, params, nhead, key_padding_mask))
    return ln2(h + _ffn(h, params))
