# mistake: the block replaces the stream by its branch (x = f): the residual is dropped
# caught-by: examples, hidden
# diagnosis: residual was dropped
import math

import numpy as np

STRATEGIES = ("standard", "zero_residual", "small_random", "large")
SMALL_GAMMA_STD = 0.1
LARGE_GAMMA = 4.0
KEYS = ("W1", "W2", "g1", "b1", "g2", "b2")


def init_params(strategy, depth, width, seed=0):
    if not (isinstance(strategy, str) and strategy in STRATEGIES):
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    rng = np.random.default_rng(seed)
    weights = np.empty((depth, 2, width, width))
    for block in range(depth):
        weights[block, 0] = rng.standard_normal((width, width))
        weights[block, 1] = rng.standard_normal((width, width))
    weights /= math.sqrt(width)
    g1, g2 = np.ones((depth, width)), np.ones((depth, width))
    if strategy == "zero_residual":
        g2[:] = 0.0
    elif strategy == "large":
        g1[:] = LARGE_GAMMA
        g2[:] = LARGE_GAMMA
    elif strategy == "small_random":
        for block in range(depth):
            g1[block] = SMALL_GAMMA_STD * rng.standard_normal(width)
            g2[block] = SMALL_GAMMA_STD * rng.standard_normal(width)
    return {
        "W1": weights[:, 0].copy(), "W2": weights[:, 1].copy(),
        "g1": g1, "b1": np.zeros((depth, width)), "g2": g2, "b2": np.zeros((depth, width)),
    }  # fmt: skip


def _layernorm(z, eps):
    centered = z - z.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt((centered * centered).mean(axis=1, keepdims=True) + eps)
    return centered * inv_std, inv_std


def _layernorm_backward(dy, x_hat, inv_std):
    return inv_std * (dy - dy.mean(axis=1, keepdims=True) - x_hat * (dy * x_hat).mean(axis=1, keepdims=True))


def _streams(x, params, eps):
    """The stream before and after every block, with what each block's backward needs."""
    streams, saved = [x], []
    for block in range(params["W1"].shape[0]):
        a_hat, a_inv = _layernorm(x @ params["W1"][block], eps)
        pre = params["g1"][block] * a_hat + params["b1"][block]
        h = np.maximum(pre, 0.0)
        c_hat, c_inv = _layernorm(h @ params["W2"][block], eps)
        saved.append((x, a_hat, a_inv, pre > 0, h, c_hat, c_inv))
        x = params["g2"][block] * c_hat + params["b2"][block]
        streams.append(x)
    return streams, saved


def residual_stack_forward(x, params, eps=1e-5):
    streams, saved = _streams(x, params, eps)
    return streams[-1], (saved, {key: params[key] for key in KEYS})


def residual_stack_backward(dout, cache):
    saved, params = cache
    grads = {key: np.zeros_like(params[key]) for key in KEYS}
    dx = dout
    for block in reversed(range(len(saved))):
        x, a_hat, a_inv, active, h, c_hat, c_inv = saved[block]
        grads["g2"][block] = (dx * c_hat).sum(axis=0)
        grads["b2"][block] = dx.sum(axis=0)
        dc = _layernorm_backward(dx * params["g2"][block], c_hat, c_inv)
        grads["W2"][block] = h.T @ dc
        dpre = (dc @ params["W2"][block].T) * active
        grads["g1"][block] = (dpre * a_hat).sum(axis=0)
        grads["b1"][block] = dpre.sum(axis=0)
        da = _layernorm_backward(dpre * params["g1"][block], a_hat, a_inv)
        grads["W1"][block] = x.T @ da
        dx = da @ params["W1"][block].T
    return dx, grads


def output_scale_by_depth(x, params, eps=1e-5):
    streams, _ = _streams(x, params, eps)
    return np.array([stream.std() for stream in streams])


def train_steps(x, y, params, lr, steps, eps=1e-5):
    params = {key: np.array(params[key], dtype=np.float64) for key in KEYS}
    losses = np.empty(steps + 1)
    for step in range(steps + 1):
        out, cache = residual_stack_forward(x, params, eps)
        diff = out - y
        losses[step] = np.mean(diff * diff)
        if step == steps:
            break
        _, grads = residual_stack_backward(diff * (2.0 / diff.size), cache)
        for key in KEYS:
            params[key] -= lr * grads[key]
    return losses, params


def init_experiment(x, y, depth, lr, steps, seed=0, eps=1e-5):
    report = {}
    for strategy in STRATEGIES:
        params = init_params(strategy, depth, x.shape[1], seed)
        losses, _ = train_steps(x, y, params, lr, steps, eps)
        report[strategy] = {"scale": output_scale_by_depth(x, params, eps), "loss": losses}
    return report
