"""Comparisons that explain themselves.

A failing check should read like a reviewer's comment: what was expected, what came back (type, shape,
dtype, the worst element and where), and, when the wrong answer matches a known mistake, its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from grader.outcomes import CheckFailed

Diagnoses = Mapping[str, Callable[[], Any]]
# How a message names the mistakes that explain it (`grade cs231n` reads them back out of the rows).
NAMED, MISTAKES_APART, SAME_ANSWER = ". Looks like ", "; or ", " (these mistakes give the same answer on this input)"


class Lazy(Mapping):
    """Diagnoses built only when a comparison fails (assert_close reads them only then): building some means
    evaluating every mistake's model (merge_coinciding, a torch pass), which a passing row should not pay for."""

    def __init__(self, build: Callable[[], dict]) -> None:
        self._build, self._value = build, None

    def _models(self) -> dict:
        if self._value is None:
            self._value = self._build()
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._models()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._models())

    def __len__(self) -> int:
        return len(self._models())


def sentence(text: str) -> str:
    """`text` ending in one full stop (or its own question mark), ready for another sentence after it."""
    text = text.rstrip()
    return text if text.endswith(("?", ".")) else text + "."


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|), elementwise."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def describe(value: Any) -> str:
    """A short, human name for what came back: 'None', 'a list', 'an array of shape (3, 4) float32'."""
    if value is None:
        return "None"
    if isinstance(value, np.matrix):
        return f"an np.matrix of shape {value.shape}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} {value.dtype}"
    if isinstance(value, np.generic):
        return f"a NumPy scalar ({type(value).__name__})"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    type_name = getattr(value, "type_name", None) or type(value).__name__
    article = "an" if type_name[:1].lower() in "aeiou" else "a"
    return f"{article} {type_name}"


def fmt_index(index: tuple) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ")" if len(index) != 1 else f"[{int(index[0])}]"


def expect_array(value: Any, what: str, *, shape: tuple | None = None, dtype: Any = None) -> np.ndarray:
    """`value` must be a plain ndarray (of `shape` and `dtype`, when given); otherwise say what it was."""
    if isinstance(value, np.matrix):
        raise CheckFailed(f"{what}: got an np.matrix; return a plain ndarray (np.asarray(...))")
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{what}: expected a NumPy array, got {describe(value)}")
    if shape is not None and value.shape != tuple(shape):
        raise CheckFailed(f"{what}: expected shape {tuple(shape)}, got {value.shape}{_shape_hint(value.shape, tuple(shape))}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise CheckFailed(f"{what}: expected dtype {np.dtype(dtype)} (the input's), got {value.dtype}")
    return value


def _shape_hint(got: tuple, want: tuple) -> str:
    if len(want) == 2 and got == want[::-1]:
        return " (transposed?)"
    if got == (1,) + want:
        return f" (keep gamma's shape: reshape or sum without keepdims)"
    if (1,) + got == want:
        return " (it must keep the leading 1, like gamma)"
    if int(np.prod(got)) == int(np.prod(want)):
        return " (same number of elements: a reshape or a reduction over the wrong axis?)"
    if len(got) < len(want):
        return " (summed over an axis that should stay?)"
    return ""


def assert_close(
    got: Any,
    want: np.ndarray,
    what: str,
    *,
    rtol: float,
    atol: float | None = None,
    dtype: Any = None,
    diagnoses: Diagnoses | None = None,
) -> None:
    """Elementwise |got - want| <= atol + rtol*|want|; atol defaults to rtol * max(1, max|want|).

    The default is scale-aware for large values, and for an expected array of exact zeros (dgamma of a
    constant input, say) it still leaves room for the rounding noise of a correct computation.

    `diagnoses` maps a known mistake's description to a function computing what that mistake would have
    returned; the one the wrong answer matches is named in the message (all of them, when several mistakes
    give the same answer on this input).
    """
    want = np.asarray(want)
    got = expect_array(got, what, shape=want.shape, dtype=dtype)
    bad_values = ~np.isfinite(got)
    if bad_values.any() and np.isfinite(want).all():
        index = np.unravel_index(int(np.argmax(bad_values)), got.shape) if got.ndim else ()
        kind = "NaN" if np.isnan(got[index]) else "inf"
        raise CheckFailed(
            f"{what}: contains {kind} ({int(bad_values.sum())} of {got.size} elements) first at {fmt_index(index)}"
            f"{_diagnosis(got, want, diagnoses, rtol, atol)}"
        )
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    atol = rtol * max(scale, 1.0) if atol is None else atol
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bad = err > atol + rtol * np.abs(want)
    if not bad.any():
        return
    index = np.unravel_index(int(np.argmax(np.where(bad, err, -1.0))), got.shape) if got.ndim else ()
    raise CheckFailed(
        f"{what}: max error {float(err[index]):.3g} at {fmt_index(index)}: expected {float(want[index]):.6g}, "
        f"got {float(got[index]):.6g} ({int(bad.sum())} of {got.size} elements off; tolerance {_tolerance_text(rtol, atol)})"
        f"{_diagnosis(got, want, diagnoses, rtol, atol)}"
    )


def _tolerance_text(rtol: float, atol: float) -> str:
    return f"{rtol:g} relative" if rtol else f"{atol:g} absolute"


def _as_float(value: Any, shape: tuple) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape and np.all(np.isfinite(array)) else None


def _within(got: np.ndarray, other: np.ndarray, rtol: float, atol: float | None, slack: float) -> bool:
    scale = float(np.max(np.abs(other))) if other.size else 0.0
    tol = (atol if atol is not None else rtol * max(scale, 1.0)) + rtol * np.abs(other)
    return bool(np.all(np.abs(got - other) <= tol * slack))


def _diagnosis(got: np.ndarray, want: np.ndarray, diagnoses: Diagnoses | None, rtol: float, atol: float | None) -> str:
    """Name the known mistake that explains the wrong answer, else the pattern measured, if one fits.

    A mistake explains it only if, on this very input, the mistake's answer differs from the right one
    and the candidate's answer is much closer to the mistake's than to the right one. When other mistakes'
    answers are indistinguishable from the best match's, every one of them is named.
    """
    g, w = _as_float(got, got.shape), _as_float(want, got.shape)
    if g is None or w is None:
        return ""
    miss = float(np.max(np.abs(g - w))) if g.size else 0.0
    fits: list[tuple[float, str, np.ndarray]] = []
    for label, model in (diagnoses or {}).items():
        with np.errstate(all="ignore"):
            try:
                mistaken = _as_float(model(), g.shape)
            except (ValueError, FloatingPointError, ZeroDivisionError):
                continue  # this mistake cannot produce an answer of this shape
        if mistaken is None or _within(w, mistaken, rtol, atol, 1.0):
            continue  # indistinguishable from the right answer here: it cannot explain the difference
        off = float(np.max(np.abs(g - mistaken))) if g.size else 0.0
        if _within(g, mistaken, rtol, atol, 10.0) and off <= 0.1 * miss:
            fits.append((off, label, mistaken))
    if fits:
        # Mistakes whose answers coincide here are all named: picking one of them would be a guess.
        _, best_label, best = min(fits, key=lambda fit: fit[0])
        labels = [best_label] + [label for _, label, other in fits if label != best_label and _within(other, best, rtol, atol, 1.0)]
        if len(labels) == 1:
            return NAMED + best_label
        return NAMED + MISTAKES_APART.join(labels) + SAME_ANSWER
    # No model fits: what was measured, without a guess at its cause.
    if not np.any(w):
        return ""
    if not np.any(g):
        return ". Every element is 0"
    if np.count_nonzero(w) < 2:
        return ""  # one number is always some multiple of another: a common factor is evidence only across several
    factor = float(np.vdot(g, w) / np.vdot(w, w))
    if abs(factor - 1) > 0.05 and _within(g, factor * w, rtol, atol, 10.0):
        return f". Every element is {factor:.4g}× the expected one"
    return ""
