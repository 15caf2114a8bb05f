# variant: parameters kept as stacked arrays throughout, matrix products by np.einsum, the stream's std by np.var, the cache a tuple of per-block stacks, the SGD update written as new arrays, gammas drawn one block at a time with rng.normal(0, 0.1, width)
import math

import numpy as np

_GAMMA = {"standard": (1.0, 1.0), "zero_residual": (1.0, 0.0), "large": (4.0, 4.0), "small_random": None}
_NAMES = ("W1", "W2", "g1", "b1", "g2", "b2")


def init_params(strategy, depth, width, seed=0):
    try:
        fixed = _GAMMA[strategy]
    except (KeyError, TypeError):
        raise ValueError(f"unknown initialization strategy: {strategy!r}") from None
    rng = np.random.default_rng(seed)
    W1 = np.zeros((depth, width, width))
    W2 = np.zeros((depth, width, width))
    for l in range(depth):
        W1[l] = rng.standard_normal((width, width)) / math.sqrt(width)
        W2[l] = rng.standard_normal((width, width)) / math.sqrt(width)
    if fixed is None:
        g1, g2 = np.zeros((depth, width)), np.zeros((depth, width))
        for l in range(depth):
            g1[l] = rng.normal(0.0, 0.1, width)
            g2[l] = rng.normal(0.0, 0.1, width)
    else:
        g1, g2 = np.full((depth, width), fixed[0]), np.full((depth, width), fixed[1])
    return dict(W1=W1, W2=W2, g1=g1, b1=np.zeros((depth, width)), g2=g2, b2=np.zeros((depth, width)))


def _norm(z, eps):
    mean = np.mean(z, axis=-1, keepdims=True)
    var = np.var(z, axis=-1, keepdims=True)
    inv = (var + eps) ** -0.5
    return (z - mean) * inv, inv


def _norm_back(g, z_hat, inv):
    n = z_hat.shape[-1]
    return inv / n * (n * g - g.sum(-1, keepdims=True) - z_hat * np.einsum("ij,ij->i", g, z_hat)[:, None])


def residual_stack_forward(x, params, eps=1e-5):
    depth = params["W1"].shape[0]
    xs, a_hats, a_invs, pres, hs, c_hats, c_invs = [], [], [], [], [], [], []
    for l in range(depth):
        a_hat, a_inv = _norm(np.einsum("nd,de->ne", x, params["W1"][l]), eps)
        pre = a_hat * params["g1"][l] + params["b1"][l]
        h = pre * (pre > 0)
        c_hat, c_inv = _norm(np.einsum("nd,de->ne", h, params["W2"][l]), eps)
        for store, value in zip((xs, a_hats, a_invs, pres, hs, c_hats, c_invs), (x, a_hat, a_inv, pre, h, c_hat, c_inv)):
            store.append(value)
        x = c_hat * params["g2"][l] + params["b2"][l] + x
    return x, (params, xs, a_hats, a_invs, pres, hs, c_hats, c_invs)


def residual_stack_backward(dout, cache):
    params, xs, a_hats, a_invs, pres, hs, c_hats, c_invs = cache
    grads = {k: np.zeros(np.shape(params[k])) for k in _NAMES}
    g = dout
    for l in range(len(xs) - 1, -1, -1):
        grads["b2"][l] = g.sum(0)
        grads["g2"][l] = np.einsum("nd,nd->d", g, c_hats[l])
        dc = _norm_back(g * params["g2"][l], c_hats[l], c_invs[l])
        grads["W2"][l] = np.einsum("nd,ne->de", hs[l], dc)
        dpre = np.einsum("ne,de->nd", dc, params["W2"][l]) * (pres[l] > 0)
        grads["b1"][l] = dpre.sum(0)
        grads["g1"][l] = np.einsum("nd,nd->d", dpre, a_hats[l])
        da = _norm_back(dpre * params["g1"][l], a_hats[l], a_invs[l])
        grads["W1"][l] = np.einsum("nd,ne->de", xs[l], da)
        g = g + np.einsum("ne,de->nd", da, params["W1"][l])
    return g, grads


def output_scale_by_depth(x, params, eps=1e-5):
    out, (_, xs, *_rest) = residual_stack_forward(x, params, eps)
    return np.sqrt(np.array([np.var(s) for s in xs + [out]]))


def train_steps(x, y, params, lr, steps, eps=1e-5):
    current = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    losses = np.zeros(steps + 1)
    for t in range(steps + 1):
        out, cache = residual_stack_forward(x, current, eps)
        r = out - y
        losses[t] = (r**2).mean()
        if t < steps:
            _, grads = residual_stack_backward(2.0 * r / r.size, cache)
            current = {k: current[k] - lr * grads[k] for k in _NAMES}
    return losses, current


def init_experiment(x, y, depth, lr, steps, seed=0, eps=1e-5):
    return {
        s: {"scale": output_scale_by_depth(x, p, eps), "loss": train_steps(x, y, p, lr, steps, eps)[0]}
        for s, p in ((s, init_params(s, depth, x.shape[1], seed)) for s in _GAMMA)
    }
