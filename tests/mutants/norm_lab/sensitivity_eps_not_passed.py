# mistake: batch_size_sensitivity takes eps but does not pass it on to normalize_in_batches, which uses its default 1e-5
# caught-by: hidden
# diagnosis: eps argument was not used: the default 1e-5 was
import math

import numpy as np

NORMS = (None, "layernorm", "batchnorm")


def _check_norm(norm):
    if not (norm is None or (isinstance(norm, str) and norm in NORMS)):
        raise ValueError(f"norm must be None, 'layernorm' or 'batchnorm', not {norm!r}")


def _standardize(z, axis, eps):
    mu = z.mean(axis=axis, keepdims=True)
    centered = z - mu
    var = (centered * centered).mean(axis=axis, keepdims=True)
    centered *= 1.0 / np.sqrt(var + eps)
    return centered


def _normalize(z, norm, eps):
    if norm == "layernorm":
        return _standardize(z, 1, eps)
    if norm == "batchnorm":
        return _standardize(z, 0, eps)
    return z


def activation_stats(weight_scale, depth, width, norm=None, batch_size=128, seed=0, eps=1e-5):
    _check_norm(norm)
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((batch_size, width))
    stats = np.empty((depth, 2))
    for layer in range(depth):
        w = rng.standard_normal((width, width))
        w *= weight_scale
        z = _normalize(h @ w, norm, eps)
        stats[layer] = z.mean(), z.std()
        h = np.maximum(z, 0.0, out=z)
    return stats


def normalize_in_batches(x, norm, batch_size, eps=1e-5):
    _check_norm(norm)
    if norm is None:
        return x.copy()
    if norm == "layernorm":
        return _standardize(x, 1, eps)
    n, d = x.shape
    full = (n // batch_size) * batch_size
    out = np.empty_like(x)
    if full:
        out[:full] = _standardize(x[:full].reshape(-1, batch_size, d), 1, eps).reshape(full, d)
    if full < n:
        out[full:] = _standardize(x[full:], 0, eps)
    return out


def batch_size_sensitivity(x, norm, batch_sizes, eps=1e-5):
    _check_norm(norm)
    whole = normalize_in_batches(x, norm, x.shape[0])  # the mistake: eps is not passed on
    result = np.empty(len(batch_sizes))
    for i, b in enumerate(batch_sizes):
        diff = normalize_in_batches(x, norm, b) - whole
        result[i] = math.sqrt(float(np.vdot(diff, diff)) / diff.size)
    return result


def residual_stream_rms(depth, width, norm_first, batch_size=64, seed=0, eps=1e-5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, width))
    rms = np.empty(depth + 1)
    rms[0] = math.sqrt(float(np.vdot(x, x)) / x.size)
    for block in range(depth):
        w1 = rng.standard_normal((width, width)) / math.sqrt(width)
        w2 = rng.standard_normal((width, width)) / math.sqrt(width)
        if norm_first:
            x = x + np.maximum(_standardize(x, 1, eps) @ w1, 0.0) @ w2
        else:
            x = _standardize(x + np.maximum(x @ w1, 0.0) @ w2, 1, eps)
        rms[block + 1] = math.sqrt(float(np.vdot(x, x)) / x.size)
    return rms
