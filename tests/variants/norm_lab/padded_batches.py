# variant: batches padded with NaN to a (chunks, batch_size, D) block and reduced with nanmean; a Normalizer class; stats from np.var
import math

import numpy as np


class Normalizer:
    AXES = {"layernorm": -1, "batchnorm": 0}

    def __init__(self, kind, eps):
        if kind is not None and kind not in self.AXES:
            raise ValueError(f"unknown normalization {kind!r}")
        self.kind, self.eps = kind, eps

    def __call__(self, z):
        if self.kind is None:
            return z
        axis = self.AXES[self.kind]
        mu = z.mean(axis=axis, keepdims=True)
        return (z - mu) / np.sqrt(((z - mu) ** 2).mean(axis=axis, keepdims=True) + self.eps)


def activation_stats(weight_scale, depth, width, norm=None, batch_size=128, seed=0, eps=1e-5):
    normalize = Normalizer(norm, eps)
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(size=(batch_size, width))
    rows = []
    for _ in range(depth):
        z = normalize(h @ rng.normal(loc=0.0, scale=weight_scale, size=(width, width)))
        rows.append((float(np.mean(z)), float(np.sqrt(np.var(z)))))
        h = z * (z > 0)
    return np.array(rows, dtype=np.float64).reshape(depth, 2)


def normalize_in_batches(x, norm, batch_size, eps=1e-5):
    normalize = Normalizer(norm, eps)
    if norm != "batchnorm":
        return normalize(x).copy()
    n, d = x.shape
    chunks = math.ceil(n / batch_size)
    block = np.full((chunks * batch_size, d), np.nan, dtype=x.dtype)
    block[:n] = x
    block = block.reshape(chunks, batch_size, d)
    mu = np.nanmean(block, axis=1, keepdims=True)
    var = np.nanmean((block - mu) ** 2, axis=1, keepdims=True)
    return ((block - mu) / np.sqrt(var + eps)).reshape(-1, d)[:n].astype(x.dtype)


def batch_size_sensitivity(x, norm, batch_sizes, eps=1e-5):
    Normalizer(norm, eps)
    base = normalize_in_batches(x, norm, x.shape[0], eps).astype(np.float64)
    result = np.empty(len(batch_sizes), dtype=np.float64)
    for i, b in enumerate(batch_sizes):
        result[i] = math.sqrt(np.mean((normalize_in_batches(x, norm, b, eps).astype(np.float64) - base) ** 2))
    return result


def residual_stream_rms(depth, width, norm_first, batch_size=64, seed=0, eps=1e-5):
    ln = Normalizer("layernorm", eps)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, width))
    values = [math.sqrt(np.mean(x * x))]
    for _ in range(depth):
        w1, w2 = (rng.standard_normal((width, width)) / math.sqrt(width) for _ in range(2))
        ff = lambda u: np.maximum(u @ w1, 0.0) @ w2  # noqa: E731
        x = x + ff(ln(x)) if norm_first else ln(x + ff(x))
        values.append(math.sqrt(np.mean(x * x)))
    return np.asarray(values)
