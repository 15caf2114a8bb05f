"""What common mistakes in a PyTorch LayerNorm would return, so a wrong output can be named.

The models are NumPy, evaluated in the grader on the same input and parameters the candidate's module got
(see `grader.kit.mistakes` for the statistics they share with the NumPy track).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.kit.mistakes import normalize

WRONG_DEFAULT_EPS = (0.0, 1e-8, 1e-6, 1e-3)


def layernorm_diagnoses(
    x: np.ndarray, normalized: tuple, eps: float, weight: Any = None, bias: Any = None
) -> dict[str, Callable[[], np.ndarray]]:
    """Mistakes of a LayerNorm over x's last len(normalized) dims, keyed by the sentence that names them.

    x comes in the dtype the candidate's module computed in: the rounding mistakes are modelled in it."""
    dtype = np.asarray(x).dtype if np.asarray(x).dtype in (np.float32, np.float64) else np.float64
    x = np.asarray(x, dtype=np.float64)
    k = len(normalized)
    axes = tuple(range(x.ndim - k, x.ndim))
    w = np.ones(normalized) if weight is None else np.asarray(weight, dtype=np.float64)
    b = np.zeros(normalized) if bias is None else np.asarray(bias, dtype=np.float64)

    def affine(xhat: np.ndarray, scale: Any = w, shift: Any = b) -> np.ndarray:
        return xhat * scale + shift

    models = {
        "the variance was unbiased (torch.var and Tensor.var default to unbiased=True; LayerNorm divides by the count)": lambda: affine(
            normalize(x, axes, eps, ddof=1)
        ),
        "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: affine(
            normalize(x, axes, eps, eps_outside_sqrt=True)
        ),
        "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: affine(
            _one_pass(x, axes, eps, dtype)
        ),
        "weight and bias were swapped": lambda: affine(normalize(x, axes, eps), b, w),
        "weight was not applied": lambda: affine(normalize(x, axes, eps), 1.0),
        "bias was not added": lambda: affine(normalize(x, axes, eps), w, 0.0),
    }
    if k > 1:
        models["only the last dim was normalized; a tuple normalized_shape means all of its dims together"] = lambda: affine(
            normalize(x, (x.ndim - 1,), eps)
        )
    if x.ndim > k:
        models["the statistics were taken across the batch (dim 0), as BatchNorm would"] = lambda: affine(normalize(x, (0,), eps))
    for wrong in WRONG_DEFAULT_EPS:
        if wrong != eps:
            models[f"eps was {wrong:g} instead of {eps:g} (a wrong default, or the eps argument ignored)"] = (
                lambda wrong=wrong: affine(normalize(x, axes, wrong))
            )
    if eps != 1e-5:
        models[f"eps was 1e-05 instead of {eps:g}: the eps argument was not used"] = lambda: affine(normalize(x, axes, 1e-5))
    return models


def _one_pass(x: np.ndarray, axes: tuple, eps: float, dtype: Any) -> np.ndarray:
    """E[x²] − E[x]² with torch's own reductions in the candidate's dtype, as a module computes it.

    The cancellation error depends on the exact rounding of E[x²], so the NumPy float32 version of this
    formula (another summation order) misses a torch module's answer by more than any tolerance: only
    torch's reductions reproduce it.
    """
    import torch

    t = torch.from_numpy(np.ascontiguousarray(x)).to(getattr(torch, np.dtype(dtype).name))
    mean = t.mean(dim=axes, keepdim=True)
    var = (t * t).mean(dim=axes, keepdim=True) - mean * mean
    return ((t - mean) / torch.sqrt(var + eps)).double().numpy()
