"""One-line text plots for a passing row's detail: a series of numbers drawn with ▁▂▃▄▅▆▇█.

The scorecard's detail cell holds text only, so a per-layer statistic is shown as a sparkline with its
first and last values: "std by layer ▇▆▅▄▃▂▁▁ 1.0 → 3.1e-04 (log scale)". Series spanning several orders
of magnitude (activations that vanish or explode) are drawn on a log scale; several series can share one
scale so that a flat line next to a growing one reads as flat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

BLOCKS = "▁▂▃▄▅▆▇█"


def _levels(values: np.ndarray, low: float, high: float) -> str:
    if not np.isfinite(low) or not np.isfinite(high) or high - low <= 1e-12 * max(abs(high), abs(low), 1e-300):
        return BLOCKS[len(BLOCKS) // 2] * len(values)
    idx = np.clip(np.round((values - low) / (high - low) * (len(BLOCKS) - 1)), 0, len(BLOCKS) - 1)
    return "".join("?" if not np.isfinite(v) else BLOCKS[int(i)] for v, i in zip(values, np.nan_to_num(idx)))


def wants_log(values: Iterable[float]) -> bool:
    """A positive series spanning more than two orders of magnitude reads better on a log scale."""
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    return bool(v.size and np.all(v > 0) and v.max() / v.min() > 100)


def sparkline(values: Sequence[float], *, log: bool | None = None, scale: tuple[float, float] | None = None) -> str:
    """The series as block characters. `scale` = (low, high) in the series' units; default its own range."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return ""
    log = wants_log(v) if log is None else log
    shown = np.log10(np.where(v > 0, v, np.nan)) if log else v
    finite = shown[np.isfinite(shown)]
    if scale is not None:
        low, high = (np.log10(s) for s in scale) if log else scale
    elif finite.size:
        low, high = float(finite.min()), float(finite.max())
    else:
        low = high = 0.0
    return _levels(shown, float(low), float(high))


def fmt(value: float) -> str:
    value = float(value)
    if value == 0 or 1e-2 <= abs(value) < 1e4:
        return f"{value:.3g}"
    return f"{value:.1e}"


def describe_series(label: str, values: Sequence[float], *, log: bool | None = None, scale: tuple[float, float] | None = None) -> str:
    """'label ▁▂▃▅▇ 1.00 → 2.21', with '(log scale)' when the series is drawn on one."""
    v = np.asarray(values, dtype=np.float64)
    log = wants_log(v) if log is None else log
    text = f"{label} {sparkline(v, log=log, scale=scale)} {fmt(v[0])} → {fmt(v[-1])}"
    return text + (" (log scale)" if log else "")


def shared_scale(*series: Sequence[float]) -> tuple[float, float]:
    """One (low, high) covering every series, for drawing them side by side."""
    joined = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in series])
    joined = joined[np.isfinite(joined)]
    return (float(joined.min()), float(joined.max())) if joined.size else (0.0, 1.0)
