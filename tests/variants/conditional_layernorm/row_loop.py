# variant: a Python loop over the rows, each a 1-D LayerNorm with its own gamma and beta; correct but slow
# speed: not vectorized
import numpy as np


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    n, d = x.shape
    y = np.empty_like(x)
    rows = []
    for i in range(n):
        g = c[i] @ W_gamma + b_gamma
        b = c[i] @ W_beta + b_beta
        m = np.mean(x[i])
        s = np.sqrt(np.mean((x[i] - m) ** 2) + eps)
        xh = (x[i] - m) / s
        y[i] = g * xh + b
        rows.append((xh, s, g))
    return y, {"rows": rows, "c": c, "Wg": W_gamma, "Wb": W_beta}


def conditional_layernorm_backward(dy, cache):
    c, Wg, Wb = cache["c"], cache["Wg"], cache["Wb"]
    n, d = dy.shape
    dx = np.empty_like(dy)
    dc = np.empty_like(c)
    dWg, dbg = np.zeros_like(Wg), np.zeros(d, dtype=dy.dtype)
    dWb, dbb = np.zeros_like(Wb), np.zeros(d, dtype=dy.dtype)
    for i, (xh, s, g) in enumerate(cache["rows"]):
        dg = dy[i] * xh
        dWg += np.outer(c[i], dg)
        dbg += dg
        dWb += np.outer(c[i], dy[i])
        dbb += dy[i]
        dc[i] = Wg @ dg + Wb @ dy[i]
        dxh = dy[i] * g
        dx[i] = (dxh - dxh.mean() - xh * np.mean(dxh * xh)) / s
    return dx, dc, dWg, dbg, dWb, dbb
