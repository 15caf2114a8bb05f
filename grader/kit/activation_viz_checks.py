"""Checks for torch_activation_viz: per-layer statistics and histograms of a deep ReLU MLP, with and without LayerNorm.

The candidate returns plain data; `parse_result` turns it into arrays (or fails with a message that says
what is off in the structure). `simulate` recomputes the spec's experiment here in the grader, with the
grader's own torch, and takes keyword flags that switch on one classic mistake each (the std with n − 1,
the ReLU's output recorded, the weights drawn before x ...), so a wrong answer can be named.
`histogram_moments` gives the mean and std a histogram implies, to check that it agrees with the stats.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from grader.kit.compare import assert_close, describe
from grader.outcomes import CheckFailed

NETS = ("without_layernorm", "with_layernorm")
NET_NAMES = {"without_layernorm": "without LayerNorm", "with_layernorm": "with LayerNorm"}
KEYS = ("layer", "mean", "std", "hist", "edges")
DEFAULTS = {"depth": 8, "width": 64, "batch_size": 256, "weight_std": 0.1, "bins": 20, "seed": 0, "eps": 1e-5}


def he(width: int) -> float:
    return math.sqrt(2.0 / width)


@dataclass
class Network:
    """One network's record as arrays: (depth,) layer, mean, std; (depth, bins) hist; (depth, bins + 1) edges."""

    layer: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    hist: np.ndarray
    edges: np.ndarray


Parsed = dict[str, Network]


# ---------------------------------------------------------------------- reading the candidate's result
def parse_result(value: Any, depth: int, bins: int, call: str = "activation_histograms(...)") -> Parsed:
    """The candidate's result as arrays; any structural problem is a CheckFailed naming where it is."""
    if not isinstance(value, dict):
        raise CheckFailed(f"{call} should return a dict with keys {list(NETS)}; it returned {describe(value)}")
    missing = [k for k in NETS if k not in value]
    extra = sorted(str(k) for k in value if k not in NETS)
    if missing or extra:
        found = sorted(map(str, value))
        raise CheckFailed(f"{call} returned a dict with keys {found}; it needs exactly {list(NETS)}")
    parsed = {}
    for net in NETS:
        layers = value[net]
        if not isinstance(layers, (list, tuple)):
            raise CheckFailed(f"result[{net!r}] should be a list of {depth} dicts, one per layer; it is {describe(layers)}")
        if len(layers) != depth:
            raise CheckFailed(f"result[{net!r}] has {len(layers)} entries for depth={depth}: one dict per layer, every layer")
        columns: dict[str, list] = {k: [] for k in KEYS}
        for i, record in enumerate(layers):
            where = f"result[{net!r}][{i}]"
            if not isinstance(record, dict):
                raise CheckFailed(f"{where} should be a dict with keys {list(KEYS)}; it is {describe(record)}")
            absent = [k for k in KEYS if k not in record]
            if absent:
                raise CheckFailed(f"{where} lacks the keys {absent} (it has {sorted(map(str, record))})")
            for key in ("layer", "mean", "std"):
                columns[key].append(_scalar(record[key], f"{where}[{key!r}]"))
            columns["hist"].append(_vector(record["hist"], f"{where}['hist']", bins, f"bins={bins} counts"))
            columns["edges"].append(_vector(record["edges"], f"{where}['edges']", bins + 1, f"bins + 1 = {bins + 1} edges"))
        parsed[net] = Network(*(np.array(columns[k], dtype=np.float64) for k in KEYS))
        numbers = parsed[net].layer
        if not np.array_equal(numbers, np.arange(1, depth + 1)):
            wanted = list(range(1, depth + 1)) if depth <= 8 else f"[1, 2, …, {depth}]"
            raise CheckFailed(f"result[{net!r}] numbers its layers {numbers.astype(int).tolist()}; they should be {wanted}, in order")
    return parsed


def to_plain(parsed: Parsed) -> dict[str, list[dict[str, Any]]]:
    """parse_result's inverse, as strict JSON data (a non-finite number becomes None): what the report keeps."""

    def number(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    return {
        net: [
            {
                "layer": int(layer.layer[i]), "mean": number(layer.mean[i]), "std": number(layer.std[i]),
                "hist": [number(c) for c in layer.hist[i]], "edges": [number(e) for e in layer.edges[i]],
            }  # fmt: skip
            for i in range(len(layer.layer))
        ]
        for net, layer in parsed.items()
    }


def _scalar(value: Any, where: str) -> float:
    array = _numeric(value, where)
    if array.size != 1:
        raise CheckFailed(f"{where} should be one number; it is {describe(value)}")
    return float(array.reshape(-1)[0])


def _vector(value: Any, where: str, length: int, what: str) -> np.ndarray:
    array = _numeric(value, where)
    if array.shape != (length,):
        raise CheckFailed(f"{where} should be a list of {what}; it has shape {array.shape}")
    return array


def _numeric(value: Any, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{where} should hold numbers; it is {describe(value)}") from None
    return array


def first_non_plain(value: Any, path: str = "result") -> tuple[str, Any] | None:
    """The first place in `value` that is not JSON data (dict with str keys, list/tuple, int, float, str, bool, None)."""
    if value is None or type(value) in (bool, int, float, str):
        return None
    if isinstance(value, dict) and type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                return (f"{path} key {key!r}", key)
            found = first_non_plain(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            found = first_non_plain(item, f"{path}[{i}]")
            if found:
                return found
        return None
    return (path, value)


def non_plain_message(path: str, value: Any) -> str:
    if isinstance(value, np.ndarray):
        kind = f"an array of shape {value.shape} (a tensor or NumPy array): use .tolist()"
        if value.ndim == 0:
            kind = "a 0-d array (a tensor or NumPy scalar): use .item()"
    elif isinstance(value, np.generic):
        kind = f"a NumPy scalar ({type(value).__name__}): use float(...) or .item()"
    else:
        kind = f"{describe(value)}"
    return f"{path} is {kind}. The result must be plain data (dicts, lists, ints, floats), so that json.dump can save it"


def same_data(a: Any, b: Any) -> bool:
    """Exact equality of two decoded results (arrays compared elementwise, NaN equal to NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
        except TypeError:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------------- the experiment, recomputed
MISTAKES: dict[str, dict[str, Any]] = {
    "the std divides by n − 1 (Tensor.std's default); the spec's std is the population one, z.std(unbiased=False)": {"std_unbiased": True},
    "these are the statistics of the ReLU's output h; the spec records z, the ReLU's input": {"record": "relu"},
    "with LayerNorm, these are the statistics before the LayerNorm; the spec records z after it": {"record": "pre_norm"},
    "the weights were drawn before x; draw x first, then W_1 … W_depth": {"weights_first": True},
    "each network drew its own weights; both must use the same W_1 … W_depth (draw them once)": {"separate_weights": True},
    "the weights were applied as h @ W; nn.Linear (and the spec) computes h @ W.T": {"transposed": True},
    "the LayerNorm comes after the ReLU; the spec's layer is Linear -> LayerNorm -> ReLU": {"ln_after_relu": True},
    "the LayerNorm normalized over the batch (dim 0), as BatchNorm would; LayerNorm standardizes each row": {"ln_over_batch": True},
    "the ReLU was left out: the next layer gets h = relu(z)": {"no_relu": True},
    "the eps argument was ignored (1e-5 used)": {"fixed_eps": 1e-5},
}


def simulate(depth: int, width: int, batch_size: int, weight_std: float, bins: int, seed: int, eps: float, **m: Any) -> Parsed:
    """The spec's experiment, in float32 with the grader's torch; `m` switches on one mistake of MISTAKES."""
    flags = tuple(sorted(m.items()))
    return _simulate(depth, width, batch_size, float(weight_std), bins, seed, float(eps), flags)


@lru_cache(maxsize=64)
def _simulate(depth: int, width: int, batch_size: int, weight_std: float, bins: int, seed: int, eps: float, flags: tuple) -> Parsed:
    import torch
    import torch.nn.functional as F

    m = dict(flags)
    gen = torch.Generator().manual_seed(seed)

    def draw_weights() -> list:
        return [weight_std * torch.randn(width, width, generator=gen) for _ in range(depth)]

    if m.get("weights_first"):
        weights = draw_weights()
        x = torch.randn(batch_size, width, generator=gen)
    else:
        x = torch.randn(batch_size, width, generator=gen)
        weights = draw_weights()
    ln_eps = m.get("fixed_eps", eps)
    result = {}
    with torch.no_grad():
        for net in NETS:
            if net == "with_layernorm" and m.get("separate_weights"):
                weights = draw_weights()
            layernorm = net == "with_layernorm"
            h = x
            rows = []
            for index, w in enumerate(weights, start=1):
                pre = h @ (w if m.get("transposed") else w.T)
                if layernorm and m.get("ln_after_relu"):
                    z = F.layer_norm(torch.relu(pre), (width,), eps=ln_eps)
                    after = z
                elif layernorm and m.get("ln_over_batch"):
                    mean = pre.mean(0, keepdim=True)
                    var = pre.var(0, unbiased=False, keepdim=True)
                    z = (pre - mean) / torch.sqrt(var + ln_eps)
                    after = z if m.get("no_relu") else torch.relu(z)
                else:
                    z = F.layer_norm(pre, (width,), eps=ln_eps) if layernorm else pre
                    after = z if m.get("no_relu") else torch.relu(z)
                shown = {"relu": after, "pre_norm": pre}.get(m.get("record", ""), z)
                rows.append((index, shown.double().numpy().ravel()))
                h = after
            result[net] = _record(rows, bins, ddof=1 if m.get("std_unbiased") else 0)
    return result


def _record(rows: list, bins: int, ddof: int) -> Network:
    layer, mean, std, hist, edges = [], [], [], [], []
    for index, values in rows:
        counts, bin_edges = np.histogram(values.astype(np.float32), bins=bins)  # min == max: [v - 0.5, v + 0.5]
        layer.append(index)
        mean.append(values.mean())
        std.append(values.std(ddof=ddof) if values.size > ddof else 0.0)
        hist.append(counts)
        edges.append(bin_edges)
    return Network(*(np.array(v, dtype=np.float64) for v in (layer, mean, std, hist, edges)))


def mistake_models(args: dict) -> dict[str, Callable[[], Parsed]]:
    return {
        label: (lambda flags=flags: simulate(**args, **flags))
        for label, flags in MISTAKES.items()
        if not ("fixed_eps" in flags and args["eps"] == flags["fixed_eps"])
    }


# ---------------------------------------------------------------------- comparing
STAT_RTOL = 1e-4  # float32 arithmetic in a different order (nn.Linear vs @, own LayerNorm vs nn.LayerNorm)


def assert_matches(got: Parsed, want: Parsed, models: dict[str, Callable[[], Parsed]]) -> None:
    """std, mean, edges and counts of both networks against the recomputed experiment, mistakes named.

    A mistake is named only when it explains the whole result (every statistic of both networks), not just
    the field that failed: a one-layer std alone could match some model by chance.
    """
    try:
        _compare(got, want, {})
    except CheckFailed:
        _compare(got, want, {label: model for label, model in models.items() if _explains(got, model())})
        raise


def _compare(got: Parsed, want: Parsed, models: dict[str, Callable[[], Parsed]]) -> None:
    for net in NETS:
        name = NET_NAMES[net]
        g, w = got[net], want[net]

        def pick(field: str, scale: Callable[[Network], np.ndarray] | None = None) -> dict[str, Callable[[], np.ndarray]]:
            def extract(model: Callable[[], Parsed]) -> Callable[[], np.ndarray]:
                def value() -> np.ndarray:
                    data = getattr(model()[net], field)
                    return data if scale is None else scale(data)

                return value

            return {label: extract(model) for label, model in models.items()}

        assert_close(g.std, w.std, f"{name}: std by layer", rtol=STAT_RTOL, atol=1e-30, diagnoses=pick("std"))
        # the mean of a layer is near 0: compared in units of that layer's std
        per_std = lambda values: values / w.std  # noqa: E731
        assert_close(per_std(g.mean), per_std(w.mean), f"{name}: mean by layer (in units of the layer's std)", rtol=0.0,
                     atol=STAT_RTOL, diagnoses=pick("mean", per_std))  # fmt: skip
        low, span = w.edges[:, :1], np.maximum(w.edges[:, -1:] - w.edges[:, :1], 1e-300)
        per_range = lambda edges: (edges - low) / span  # noqa: E731
        assert_close(per_range(g.edges), per_range(w.edges), f"{name}: edges (as fractions of the layer's range, row = layer - 1)",
                     rtol=0.0, atol=STAT_RTOL, diagnoses=pick("edges", per_range))  # fmt: skip
        _assert_counts(g.hist, w.hist, name, pick("hist"))


def _explains(got: Parsed, other: Parsed) -> bool:
    """Every statistic of `got` within 10× the comparison's tolerance of `other`'s."""
    loose = 10 * STAT_RTOL
    for net in NETS:
        g, o = got[net], other[net]
        if g.hist.shape != o.hist.shape:
            return False
        scale = np.maximum(np.abs(o.std), 1e-300)
        span = np.maximum(o.edges[:, -1:] - o.edges[:, :1], 1e-300)
        if not (
            np.all(np.abs(g.std - o.std) <= loose * scale)
            and np.all(np.abs(g.mean - o.mean) <= loose * scale)
            and np.all(np.abs(g.edges - o.edges) <= loose * span)
            and np.all(np.abs(g.hist - o.hist).sum(axis=1) <= count_slack(float(o.hist[0].sum())))
        ):
            return False
    return True


def count_slack(total: float) -> float:
    """How many values may change bins between two right answers: values within float32 rounding of an edge."""
    return max(4.0, 1e-3 * total)


def _assert_counts(got: np.ndarray, want: np.ndarray, name: str, models: dict[str, Callable[[], np.ndarray]]) -> None:
    slack = count_slack(float(want[0].sum()))
    moved = np.abs(got - want).sum(axis=1)
    if np.all(moved <= slack):
        return
    layer = int(np.argmax(moved))
    fits = []  # every mistake whose counts agree with the candidate's: naming only the first would be a guess
    for label, model in models.items():
        other = model()
        if other.shape == want.shape and np.any(np.abs(other - want).sum(axis=1) > slack) and np.all(np.abs(got - other).sum(axis=1) <= slack):
            fits.append(label)
    diagnosis = f". Looks like {'; or '.join(fits)}" + (" (these mistakes give the same counts here)" if len(fits) > 1 else "") if fits else ""
    raise CheckFailed(
        f"{name}: hist of layer {layer + 1} is {_short(got[layer])}, expected {_short(want[layer])} "
        f"({int(moved[layer])} counts off; up to {slack:g} may move across a bin edge through float32 rounding){diagnosis}"
    )


def _short(counts: np.ndarray) -> str:
    values = [int(c) if float(c).is_integer() else round(float(c), 3) for c in counts]
    return str(values if len(values) <= 12 else values[:12] + ["…"])


# ---------------------------------------------------------------------- what a histogram says
def histogram_moments(hist: np.ndarray, edges: np.ndarray) -> tuple[float, float]:
    """Mean and std of a histogram, every value placed at its bin's center."""
    centers = (edges[:-1] + edges[1:]) / 2
    total = hist.sum()
    mean = float((hist * centers).sum() / total)
    var = float((hist * (centers - mean) ** 2).sum() / total)
    return mean, math.sqrt(max(var, 0.0))


__all__ = [
    "DEFAULTS",
    "MISTAKES",
    "NETS",
    "NET_NAMES",
    "Network",
    "assert_matches",
    "count_slack",
    "first_non_plain",
    "he",
    "histogram_moments",
    "mistake_models",
    "non_plain_message",
    "parse_result",
    "same_data",
    "simulate",
]
