# variant: every weight drawn in one call after x (same stream), batch statistics by np.add.reduceat over row segments, RMS via np.linalg.norm
import numpy as np

_AXES = {"layernorm": 1, "batchnorm": 0}


def _axis(norm):
    if norm is not None and norm not in _AXES:
        raise ValueError("norm must be None, 'layernorm' or 'batchnorm'")
    return None if norm is None else _AXES[norm]


def _standardize(z, axis, eps):
    centered = z - np.mean(z, axis=axis, keepdims=True)
    return centered / np.sqrt(np.mean(np.square(centered), axis=axis, keepdims=True) + eps)


def activation_stats(weight_scale, depth, width, norm=None, batch_size=128, seed=0, eps=1e-5):
    axis = _axis(norm)
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((batch_size, width))
    weights = weight_scale * rng.standard_normal((depth, width, width))  # the same draws as one per layer
    out = np.zeros((depth, 2))
    for layer, w in enumerate(weights):
        z = h @ w
        if axis is not None:
            z = _standardize(z, axis, eps)
        out[layer, 0] = np.mean(z)
        out[layer, 1] = np.sqrt(np.mean(np.square(z - np.mean(z))))
        h = np.where(z > 0, z, 0.0)
    return out


def normalize_in_batches(x, norm, batch_size, eps=1e-5):
    axis = _axis(norm)
    if axis is None:
        return np.array(x, copy=True)
    if axis == 1:
        return _standardize(x, 1, eps)
    n = x.shape[0]
    starts = np.arange(0, n, batch_size)
    counts = np.diff(np.append(starts, n))
    seg_mean = np.add.reduceat(x, starts, axis=0) / counts[:, None].astype(x.dtype)
    centered = x - np.repeat(seg_mean, counts, axis=0)
    seg_var = np.add.reduceat(centered * centered, starts, axis=0) / counts[:, None].astype(x.dtype)
    return centered / np.repeat(np.sqrt(seg_var + eps), counts, axis=0)


def batch_size_sensitivity(x, norm, batch_sizes, eps=1e-5):
    whole = normalize_in_batches(x, norm, len(x), eps)
    return np.array(
        [np.linalg.norm(normalize_in_batches(x, norm, b, eps) - whole) / np.sqrt(x.size) for b in batch_sizes],
        dtype=np.float64,
    )


def residual_stream_rms(depth, width, norm_first, batch_size=64, seed=0, eps=1e-5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, width))
    curve = np.zeros(depth + 1)
    curve[0] = np.linalg.norm(x) / np.sqrt(x.size)
    scale = 1.0 / np.sqrt(width)
    for block in range(1, depth + 1):
        w1 = rng.standard_normal((width, width)) * scale
        w2 = rng.standard_normal((width, width)) * scale
        if norm_first:
            u = _standardize(x, 1, eps)
            x = x + np.maximum(u @ w1, 0) @ w2
        else:
            x = _standardize(x + np.maximum(x @ w1, 0) @ w2, 1, eps)
        curve[block] = np.linalg.norm(x) / np.sqrt(x.size)
    return curve
