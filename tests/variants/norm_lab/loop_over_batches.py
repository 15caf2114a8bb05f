# variant: straightforward loops: one helper for both norms, a Python loop over the batches, rng.normal(0, scale) weights, lists turned into arrays
# speed: ^not vectorized: [\d.]+× the reference at 4096×16, .*\(a loop over rows\?\)
import math

import numpy as np


def _norm(z, norm, eps):
    if norm is None:
        return z
    if norm == "layernorm":
        axis = 1
    elif norm == "batchnorm":
        axis = 0
    else:
        raise ValueError(f"unknown norm {norm!r}")
    mu = z.mean(axis=axis, keepdims=True)
    var = z.var(axis=axis, keepdims=True)
    return (z - mu) / np.sqrt(var + eps)


def activation_stats(weight_scale, depth, width, norm=None, batch_size=128, seed=0, eps=1e-5):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((batch_size, width))
    stats = []
    for _ in range(depth):
        W = rng.normal(0.0, weight_scale, size=(width, width))
        z = _norm(h @ W, norm, eps)
        stats.append([z.mean(), z.std()])
        h = np.maximum(z, 0)
    return np.array(stats, dtype=np.float64).reshape(depth, 2)


def normalize_in_batches(x, norm, batch_size, eps=1e-5):
    _norm(x[:1], norm, eps)  # rejects an unknown norm
    out = np.empty_like(x)
    for start in range(0, x.shape[0], batch_size):
        out[start : start + batch_size] = _norm(x[start : start + batch_size], norm, eps)
    return out


def batch_size_sensitivity(x, norm, batch_sizes, eps=1e-5):
    full = normalize_in_batches(x, norm, x.shape[0], eps)
    drifts = []
    for b in batch_sizes:
        diff = normalize_in_batches(x, norm, b, eps) - full
        drifts.append(np.sqrt(np.mean(diff**2)))
    return np.array(drifts, dtype=np.float64)


def residual_stream_rms(depth, width, norm_first, batch_size=64, seed=0, eps=1e-5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, width))
    rms = [np.sqrt(np.mean(x**2))]
    for _ in range(depth):
        W1 = rng.standard_normal((width, width)) / math.sqrt(width)
        W2 = rng.standard_normal((width, width)) / math.sqrt(width)
        if norm_first:
            u = _norm(x, "layernorm", eps)
            x = x + np.maximum(u @ W1, 0) @ W2
        else:
            x = _norm(x + np.maximum(x @ W1, 0) @ W2, "layernorm", eps)
        rms.append(np.sqrt(np.mean(x**2)))
    return np.array(rms, dtype=np.float64)
