"""How a training loss moved, in words that are true of the numbers.

A row that wants the loss to fall below some fraction of its start fails for a loss that fell, only not
far enough, as well as for one that rose; saying "did not fall" of the first is false and sends the
candidate after the wrong bug.
"""

from __future__ import annotations


def loss_shortfall(first: float, last: float, below: float) -> str | None:
    """None when last < below * first; otherwise what the loss did, measured: rose, stayed, or fell too little."""
    if last < below * first:
        return None
    moved = _pair(first, last)
    if last > first:
        return f"the training loss rose: {moved}"
    if last == first:
        return f"the training loss did not change: {moved}"
    return f"the training loss fell too little: {moved}, to {100 * last / first:.4g}% of its start (a correct implementation ends below {below:.0%})"


def _pair(first: float, last: float) -> str:
    """first → last with as many digits as it takes to tell them apart (up to float64's)."""
    for digits in (4, 7, 10, 17):
        shown = f"{first:.{digits}g} → {last:.{digits}g}"
        if f"{first:.{digits}g}" != f"{last:.{digits}g}":
            return shown
    return shown
