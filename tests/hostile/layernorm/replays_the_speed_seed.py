# attack: patch-worker: a correct LayerNorm that loops over rows, which searches the grading's printed seed from the first speed-row upload, replays the grader's draws, computes every timed run's results while uploads are not timed, and answers the timed runs from memory
# exit: any
# within: 30
# expect: pass/speed: ^not vectorized
"""The same slow row-loop LayerNorm as slow_rowloop_baseline.py (2.5x the reference, 60x on 4096x16),
made to look ~100x faster than the reference on the speed row.

How: the grader's Bench rng is np.random.default_rng(seed) with the run's seed (< 100,000 by default).
The first upload of the speed row (op_hold, 16x1024 inputs drawn first from that rng) reveals the seed by
brute force; replaying the grader's draw order (setup, factors, integers) then predicts every fresh input
of every timed run. The worker's op_hold happens before each pair's first CPU mark (timing.Bench._attempt:
`base = inputs.uploaded(session)` precedes `run = _Run(session, meter.cpu_s())`), so the slow loop runs there,
uncharged, and the timed calls just hand back the precomputed (correct) results."""
import gc
import math
import sys

import numpy as np

# ------------------------------------------------------------------ the honest, slow implementation
def _slow_forward(x, gamma, beta, eps=1e-5):
    n, d = x.shape
    g, b = gamma.reshape(-1), beta.reshape(-1)
    y = np.empty_like(x)
    xh = np.empty_like(x)
    rstd = np.empty(n, dtype=x.dtype)
    for i in range(n):
        row = x[i]
        mu = row.sum() / d
        c = row - mu
        var = (c * c).sum() / d
        r = 1.0 / np.sqrt(var + eps)
        rstd[i] = r
        xh[i] = c * r
        y[i] = xh[i] * g + b
    return y, (xh, rstd, gamma)


def _slow_backward(dy, cache):
    xh, rstd, gamma = cache
    n, d = xh.shape
    g = gamma.reshape(-1)
    dx = np.empty_like(dy)
    dgamma = np.zeros(d, dtype=dy.dtype)
    dbeta = np.zeros(d, dtype=dy.dtype)
    for i in range(n):
        dgamma += dy[i] * xh[i]
        dbeta += dy[i]
        dxh = dy[i] * g
        dx[i] = rstd[i] * (dxh - dxh.sum() / d - xh[i] * (dxh * xh[i]).sum() / d)
    return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)


# ------------------------------------------------------------------ a replica of the grader's speed-row draws
_SHIFT, _SCALE = 0.25, (0.75, 1.25)
_PROBES = [(256, 256), (4096, 16), (16, 4096)]


def _rms(a):
    flat = a.reshape(-1)
    sample = flat[:: max(1, flat.size // 4096)].astype(np.float64)
    r = float(np.sqrt(np.mean(sample * sample))) if sample.size else 0.0
    return r if r > 0 and math.isfinite(r) else 1.0


def _setup(rng, n, d):
    return rng.random((n, d)) * 4.0 - 1.5, rng.uniform(0.5, 1.5, d), rng.uniform(-1.0, 1.0, d)


def _factors(rng, values):
    out = []
    for shape, r in [(v.shape, _rms(v)) for v in values]:
        if len(shape) > 1:
            out.append((1.0, rng.uniform(-_SHIFT * r, _SHIFT * r, shape[0]), rng.uniform(-_SHIFT * r, _SHIFT * r, shape[-1])))
        else:
            out.append((float(rng.uniform(*_SCALE)), None, float(rng.uniform(-_SHIFT * r, _SHIFT * r))))
    return out


def _plan(seed):
    """{shape: [factor sets whose results will be timed or used for sizing]} in the grader's draw order."""
    rng = np.random.default_rng(seed)
    plan = {}
    v16 = _setup(rng, 16, 1024); plan[(16, 1024)] = [_factors(rng, v16)]           # one_run(smallest)
    v1024 = _setup(rng, 1024, 1024); _factors(rng, v1024)                              # reference warm-up
    v64 = _setup(rng, 64, 1024); plan[(64, 1024)] = [_factors(rng, v64)]              # one_run(next)
    plan[(1024, 1024)] = [_factors(rng, v1024)]                                        # candidate warm-up
    for _ in range(2):                                                                 # main pair
        plan[(1024, 1024)].append(_factors(rng, v1024)); rng.integers(2**31); rng.integers(2**31)
    for size in _PROBES:
        v = _setup(rng, *size); plan[size] = []
        for _ in range(2):
            plan[size].append(_factors(rng, v)); rng.integers(2**31); rng.integers(2**31)
    return plan


def _find_seed(x):
    for s in range(1_000_000):
        if np.random.default_rng(s).random() * 4.0 - 1.5 == x[0, 0]:
            if np.array_equal(_setup(np.random.default_rng(s), *x.shape)[0], x):
                return s
    return None


_state = {"plan": None}
_pre = {}


def _key(x):
    flat = x.reshape(-1)
    return (x.shape, flat[0].tobytes(), flat[-1].tobytes(), flat[flat.size // 2].tobytes())


class _Token:
    def __init__(self, key):
        self.key = key


def _install():
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "op_hold"))
    held = sys.modules["grader.sandbox.held"]
    real = type(worker).op_hold

    def op_hold(self, request):
        value = request["value"]
        try:
            x = value[0]
            if _state["plan"] is None and x.shape == (16, 1024):
                seed = _find_seed(x)
                if seed is not None:
                    _state["plan"] = _plan(seed)
            plan = _state["plan"] or {}
            for factors in plan.get(tuple(x.shape), []):
                fresh = held.refresh(value, factors)
                out, cache = _slow_forward(*fresh)
                _pre[_key(fresh[0])] = (out, _slow_backward(out, cache))
        except Exception:
            pass
        return real(self, request)

    type(worker).op_hold = op_hold


_install()


def layernorm_forward(x, gamma, beta, eps=1e-5):
    found = _pre.get(_key(x)) if x.ndim == 2 and eps == 1e-5 else None
    if found is not None:
        return found[0], _Token(_key(x))
    return _slow_forward(x, gamma, beta, eps)


def layernorm_backward(dy, cache):
    if isinstance(cache, _Token):
        return _pre[cache.key][1]
    return _slow_backward(dy, cache)
