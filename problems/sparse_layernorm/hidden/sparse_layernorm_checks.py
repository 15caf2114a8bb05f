"""Checks for sparse_layernorm: LayerNorm of CSR rows, statistics counting the implicit zeros, O(nnz) work.

The layer is `forward(data, indices, indptr, D, gamma, beta, eps=...) -> (out_data, mu, rstd, cache)`,
`backward(d_out, cache) -> (d_data, dgamma, dbeta)` and `to_dense(out_data, mu, rstd, indices, indptr,
gamma, beta) -> y`; it does not fit `NormLayerChecks` (seven arguments, four outputs), so this module
has its own inputs (`CsrCase`, `make_csr`), models of the classic mistakes (statistics over the stored
values only, the implicit zeros' share of the variance forgotten, np.add.reduceat on empty rows, ...)
and the two ways the "no densifying" rule is checked:

- `big_csr`: 20000 × 500_000 with ~100k stored values. Dense, that is 80 GB of float64 (10 GB even
  as booleans): the worker's address-space limit (4 GiB by default) refuses any (N, D) array, and work
  that visits every column of every row (10^10 steps, 80 GB of memory traffic in float64) cannot finish
  within the per-call timeout, while a Python loop over the 20000 rows with O(k) work each can.
  The call runs in the worker like every other; nothing here needs to trust it.
- `measure_sparse_speed`: the speed row (grader.kit.speed), whose peak memory of a run the suite compares
  with the size of the dense matrix at the size that was timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit.compare import assert_close
from grader.kit.layers import unpack
from grader.kit.speed import Probe, Probes, SpeedFigure, measure_speed
from grader.kit.workload import Workload
from grader.outcomes import CheckFailed

Models = dict[str, Callable[[], np.ndarray]]
FORWARD = "sparse_layernorm_forward"
BACKWARD = "sparse_layernorm_backward"
TO_DENSE = "sparse_layernorm_to_dense"
OUTPUTS = ("out_data", "mu", "rstd", "cache")
GRADS = ("d_data", "dgamma", "dbeta")
DEFAULT_EPS = 1e-5


# ---------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class CsrCase:
    """One family of random CSR inputs.

    rows: random (each row stores a random share `density` of its columns) | with_empty (some rows,
    the last one included, store nothing) | full (every row stores all D columns) | one_full (one
    row stores every column). data: normal | offset (values 1e4 ± 0.01: with full rows the variance
    is tiny next to the mean) | constant (every stored value of a row equal) | stored_zeros (some
    stored values are exactly 0).
    """

    name: str
    n: int
    d: int
    density: float = 0.3
    rows: str = "random"
    data: str = "normal"
    dtype: str = "float64"
    index_dtype: str = "int64"
    unsorted: bool = False
    eps: float | None = None
    min_stored: int = 1  # in rows that store anything (a single stored value makes its row's d_data ~0)

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype != "float64" and self.dtype not in self.name else []
        extras += [f"eps={self.eps:g}"] if self.eps is not None else []
        return f"{self.name} {self.n}×{self.d}" + (f", {', '.join(extras)}" if extras else "")

    @property
    def rtol(self) -> float:
        return 1e-4 if self.dtype == "float32" else 1e-7


@dataclass
class Csr:
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    D: int
    gamma: np.ndarray
    beta: np.ndarray
    eps: float | None = None

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.n), self.counts)

    @property
    def eps_value(self) -> float:
        return DEFAULT_EPS if self.eps is None else self.eps

    def args(self) -> tuple[tuple, dict]:
        return (self.data, self.indices, self.indptr, self.D, self.gamma, self.beta), ({} if self.eps is None else {"eps": self.eps})

    def copy(self) -> Csr:
        return Csr(self.data.copy(), self.indices.copy(), self.indptr.copy(), self.D, self.gamma.copy(), self.beta.copy(), self.eps)

    def dense(self) -> np.ndarray:
        x = np.zeros((self.n, self.D))
        x[self.rows, self.indices] = self.data
        return x


def _pattern(rng: np.random.Generator, case: CsrCase) -> list[np.ndarray]:
    n, d = case.n, case.d
    if case.rows == "full":
        return [np.arange(d) for _ in range(n)]
    counts = rng.binomial(d, case.density, n)
    counts = np.maximum(counts, case.min_stored) if case.rows in ("random", "one_full") else counts
    if case.rows == "with_empty":
        counts = np.where(counts > 0, np.maximum(counts, case.min_stored), 0)
        counts[-1] = 0
        counts[n // 2] = 0
        counts[0] = max(counts[0], case.min_stored)
    if case.rows == "one_full":
        counts[n // 2] = d
    return [np.sort(rng.choice(d, int(k), replace=False)) for k in counts]


def make_csr(rng: np.random.Generator, case: CsrCase) -> Csr:
    columns = _pattern(rng, case)
    if case.unsorted:
        columns = [rng.permutation(c) for c in columns]
    counts = np.array([len(c) for c in columns])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(case.index_dtype)
    indices = (np.concatenate(columns) if columns else np.zeros(0)).astype(case.index_dtype)
    nnz = int(indptr[-1])
    rows = np.repeat(np.arange(case.n), counts)
    z = rng.standard_normal(nnz)
    if case.data == "offset":
        data = 1e4 + rng.uniform(-10, 10, case.n)[rows] + 1e-2 * z
    elif case.data == "constant":
        data = rng.uniform(-3, 3, case.n)[rows]
    else:
        data = rng.uniform(-3, 3, case.n)[rows] + rng.uniform(0.5, 3, case.n)[rows] * z
        if case.data == "stored_zeros":
            data[rng.random(nnz) < 0.3] = 0.0
    gamma = rng.normal(1.0, 0.5, case.d)
    beta = rng.normal(0.0, 1.0, case.d)
    return Csr(data.astype(case.dtype), indices, indptr, case.d, gamma.astype(case.dtype), beta.astype(case.dtype), case.eps)


# ---------------------------------------------------------------------- calls
def call_forward(impl: Any, csr: Csr) -> tuple:
    args, kwargs = csr.args()
    return unpack(getattr(impl, FORWARD)(*args, **kwargs), OUTPUTS, FORWARD)


def call_backward(impl: Any, d_out: np.ndarray, cache: Any) -> tuple:
    return unpack(getattr(impl, BACKWARD)(d_out, cache), GRADS, BACKWARD)


# ---------------------------------------------------------------------- models of the right answer and of mistakes
def model_forward(
    csr: Csr,
    *,
    eps: float | None = None,
    count: str = "D",
    implicit_var: bool = True,
    ddof: int = 0,
    one_pass: bool = False,
    eps_outside_sqrt: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(out_data, mu, rstd) in float64; the keywords model the classic mistakes.

    count="stored": mean and variance over the stored values only; implicit_var=False: the mean counts
    the implicit zeros but the variance forgets their (D - k)·mu² share.
    """
    eps = csr.eps_value if eps is None else eps
    data, rows, n, d = np.asarray(csr.data, dtype=np.float64), csr.rows, csr.n, csr.D
    k = csr.counts.astype(np.float64)
    size = k if count == "stored" else np.full(n, float(d))
    with np.errstate(all="ignore"):
        mu = np.bincount(rows, weights=data, minlength=n) / size
        size = size - ddof
        if one_pass:
            var = np.bincount(rows, weights=data * data, minlength=n) / size - mu * mu
        else:
            centered = data - mu[rows]
            var = np.bincount(rows, weights=centered * centered, minlength=n)
            if count == "D" and implicit_var:
                var = var + (d - k) * mu * mu
            var = var / size
        rstd = 1.0 / (np.sqrt(var) + eps) if eps_outside_sqrt else 1.0 / np.sqrt(var + eps)
        x_hat = (data - mu[rows]) * rstd[rows]
    cols = np.asarray(csr.indices)
    out = x_hat * np.asarray(csr.gamma, dtype=np.float64)[cols] + np.asarray(csr.beta, dtype=np.float64)[cols]
    return out, mu, rstd


def forward_diagnoses(csr: Csr, candidate_default: float | None = None) -> dict[str, Models]:
    """For each of out_data, mu, rstd: what the known mistakes would have returned."""
    mistakes: dict[str, Callable[[], tuple]] = {}
    if csr.eps is None and candidate_default is not None:
        mistakes[f"your eps defaults to {candidate_default:g}; the spec's default is {DEFAULT_EPS:g}"] = lambda: model_forward(
            csr, eps=candidate_default
        )
    mistakes.update(
        {
            "the statistics were taken over the stored values only; the implicit zeros count too (divide by D, not by the row's nnz)": lambda: model_forward(
                csr, count="stored"
            ),
            "the variance left out the implicit zeros: each of the D - k of them adds (0 - mu)² = mu² to the sum": lambda: model_forward(
                csr, implicit_var=False
            ),
            "the variance used ddof=1 (divided by D - 1); normalization uses the biased variance": lambda: model_forward(csr, ddof=1),
            "the variance was computed as E[x²] − E[x]², which cancels catastrophically for large means": lambda: model_forward(
                csr, one_pass=True
            ),
            "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": lambda: model_forward(
                csr, eps_outside_sqrt=True
            ),
            "eps was ignored (the eps argument never reached the square root)": lambda: model_forward(csr, eps=DEFAULT_EPS),
            "eps was left out entirely": lambda: model_forward(csr, eps=0.0),
        }
    )
    found: dict[str, Models] = {name: {} for name in ("out_data", "mu", "rstd")}
    for label, model in mistakes.items():
        for i, name in enumerate(("out_data", "mu", "rstd")):
            found[name][label] = lambda model=model, i=i: model()[i]
    cols = np.asarray(csr.indices)
    rows = csr.rows
    gamma, beta = np.asarray(csr.gamma, dtype=np.float64), np.asarray(csr.beta, dtype=np.float64)

    def affine(scale: Any, shift: Any) -> np.ndarray:
        _, mu, rstd = model_forward(csr)
        x_hat = (np.asarray(csr.data, dtype=np.float64) - mu[rows]) * rstd[rows]
        return x_hat * scale + shift

    found["out_data"].update(
        {
            "out_data is x̂ without gamma and beta; out_data is the layer's output gamma_j·x̂ + beta_j at the stored positions": lambda: affine(
                1.0, 0.0
            ),
            "gamma and beta were swapped": lambda: affine(beta[cols], gamma[cols]),
            "gamma was not applied": lambda: affine(1.0, beta[cols]),
            "beta was not added": lambda: affine(gamma[cols], 0.0),
            "gamma and beta were looked up by row (gamma[row]) instead of by column (gamma[indices])": lambda: affine(
                gamma[rows], beta[rows]
            ),
        }
    )
    return found


def reference_dense_output(csr: Csr) -> np.ndarray:
    """LayerNorm of the dense matrix, in float64: what to_dense must rebuild."""
    x = csr.dense()
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return (x - mu) / np.sqrt(var + csr.eps_value) * np.asarray(csr.gamma, dtype=np.float64) + np.asarray(csr.beta, dtype=np.float64)


def model_backward(csr: Csr, d_out: np.ndarray, *, count: str = "D", paths: str = "all", use_gamma: bool = True) -> np.ndarray:
    """d_data in float64; count="stored" divides the row means by k; paths: all | no_var | no_mean | direct."""
    _, mu, rstd = model_forward(csr)
    rows, n = csr.rows, csr.n
    data = np.asarray(csr.data, dtype=np.float64)
    x_hat = (data - mu[rows]) * rstd[rows]
    g = np.asarray(d_out, dtype=np.float64) * (np.asarray(csr.gamma, dtype=np.float64)[np.asarray(csr.indices)] if use_gamma else 1.0)
    size = np.maximum(csr.counts, 1).astype(np.float64) if count == "stored" else float(csr.D)
    mean_g = (np.bincount(rows, weights=g, minlength=n) / size)[rows]
    mean_gx = (np.bincount(rows, weights=g * x_hat, minlength=n) / size)[rows]
    if paths == "no_var":
        return rstd[rows] * (g - mean_g)
    if paths == "no_mean":
        return rstd[rows] * (g - x_hat * mean_gx)
    if paths == "direct":
        return rstd[rows] * g
    return rstd[rows] * (g - mean_g - x_hat * mean_gx)


def grad_diagnoses(csr: Csr, d_out: np.ndarray) -> dict[str, Models]:
    _, mu, rstd = model_forward(csr)
    rows, cols = csr.rows, np.asarray(csr.indices)
    x_hat = (np.asarray(csr.data, dtype=np.float64) - mu[rows]) * rstd[rows]
    d_out = np.asarray(d_out, dtype=np.float64)
    d = csr.D

    def by_column(weights: np.ndarray) -> np.ndarray:
        return np.bincount(cols, weights=weights, minlength=d)

    out_of_order = "the gradients came back out of order: return (d_data, dgamma, dbeta)"
    return {
        "d_data": {
            "the row means of the gradient were taken over the stored values only; they run over all D columns (dout is 0 at the implicit ones)": lambda: model_backward(
                csr, d_out, count="stored"
            ),
            "d_data is missing the path through the variance (the −x̂·sum(dx̂·x̂)/D term)": lambda: model_backward(
                csr, d_out, paths="no_var"
            ),
            "d_data is missing the path through the mean (the −sum(dx̂)/D term)": lambda: model_backward(csr, d_out, paths="no_mean"),
            "d_data treats the mean and variance as constants (only dx̂·rstd)": lambda: model_backward(csr, d_out, paths="direct"),
            "d_data ignores gamma (used d_out where d_out·gamma_j belongs)": lambda: model_backward(csr, d_out, use_gamma=False),
        },
        "dgamma": {
            "dgamma used the stored x instead of x̂": lambda: by_column(d_out * np.asarray(csr.data, dtype=np.float64)),
            f"this is dbeta: {out_of_order}": lambda: by_column(d_out),
            "dgamma was accumulated by row instead of by column": lambda: np.bincount(rows, weights=d_out * x_hat, minlength=d)[:d]
            if csr.n <= d
            else np.full(d, np.nan),
        },
        "dbeta": {
            f"this is dgamma: {out_of_order}": lambda: by_column(d_out * x_hat),
            "dbeta was accumulated by row instead of by column": lambda: np.bincount(rows, weights=d_out, minlength=d)[:d]
            if csr.n <= d
            else np.full(d, np.nan),
        },
    }


def to_dense_diagnoses(csr: Csr, out_data: np.ndarray, mu: np.ndarray, rstd: np.ndarray) -> Models:
    gamma, beta = np.asarray(csr.gamma, dtype=np.float64), np.asarray(csr.beta, dtype=np.float64)
    fill = -np.asarray(mu, dtype=np.float64) * np.asarray(rstd, dtype=np.float64)
    rows, cols = csr.rows, np.asarray(csr.indices)

    def with_implicit(implicit: np.ndarray) -> np.ndarray:
        y = np.array(np.broadcast_to(implicit, (csr.n, csr.D)), dtype=np.float64)
        y[rows, cols] = out_data
        return y

    return {
        "the implicit positions hold beta: an implicit zero normalizes to x̂ = (0 - mu)·rstd, so it becomes gamma_j·(−mu·rstd) + beta_j": lambda: with_implicit(
            np.broadcast_to(beta, (csr.n, csr.D))
        ),
        "the implicit positions were left at 0: they become gamma_j·(−mu·rstd) + beta_j": lambda: with_implicit(np.zeros(1)),
        "the implicit positions miss beta: gamma_j·(−mu·rstd) + beta_j": lambda: with_implicit(np.multiply.outer(fill, gamma)),
        "the implicit positions miss gamma: gamma_j·(−mu·rstd) + beta_j": lambda: with_implicit(fill[:, None] + beta),
        "the implicit positions used +mu·rstd; an implicit zero normalizes to (0 - mu)·rstd": lambda: with_implicit(
            np.multiply.outer(-fill, gamma) + beta
        ),
    }


# ---------------------------------------------------------------------- comparisons
def assert_rows_close(got: Any, want: np.ndarray, what: str, csr: Csr, *, rtol: float, dtype: Any, diagnoses: Models | None = None) -> None:
    """assert_close for a per-row or per-stored-value array, plus where the wrong rows are when they share a trait."""
    try:
        assert_close(got, want, what, rtol=rtol, dtype=dtype, diagnoses=diagnoses)
    except CheckFailed as failure:
        if "Looks like" in failure.message or not isinstance(got, np.ndarray) or got.shape != want.shape:
            raise
        raise CheckFailed(failure.message + _row_hint(got, want, csr, rtol)) from None


def _row_hint(got: np.ndarray, want: np.ndarray, csr: Csr, rtol: float) -> str:
    with np.errstate(all="ignore"):
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        bad = ~(err <= rtol * np.maximum(np.abs(want), 1.0))
    bad_rows = np.unique(bad.nonzero()[0] if got.shape == (csr.n,) else csr.rows[bad])
    if not bad_rows.size:
        return ""
    counts = csr.counts
    shown = ", ".join(map(str, bad_rows[:6])) + (" …" if bad_rows.size > 6 else "")
    if np.all(counts[bad_rows] == 0) and np.any(counts > 0):
        return (
            f". Only empty rows are wrong (rows {shown}): an empty row is all implicit zeros (mu = 0, var = 0). "
            "np.add.reduceat returns a[indptr[i]], not 0, when a row is empty; np.bincount over row ids does not"
        )
    if np.all(counts[bad_rows] == csr.D) and np.any(counts < csr.D):
        return f". Only rows that store every column are wrong (rows {shown})"
    if np.all(counts[bad_rows] < csr.D) and np.any(counts == csr.D):
        return f". Rows that store every column are right, the others (rows {shown}) are not: are the implicit zeros counted?"
    return ""


# ---------------------------------------------------------------------- the O(nnz) input
BIG_ROWS, BIG_COLS, BIG_PER_ROW = 20_000, 500_000, 5


def spread_columns(rng: np.random.Generator, counts: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of `counts[i]` distinct, sorted random columns per row, in O(nnz): the j-th of a row's k
    stored values falls in the j-th of k equal slices of [0, d)."""
    counts = np.minimum(counts, d)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    rows = np.repeat(np.arange(counts.size), counts)
    k = counts[rows].astype(np.float64)
    j = np.arange(rows.size) - indptr[rows]
    cols = np.floor((j + rng.random(rows.size)) * d / k).astype(np.int64)
    return rows, np.minimum(cols, d - 1)


def big_csr(rng: np.random.Generator) -> Csr:
    """BIG_ROWS × BIG_COLS with about BIG_PER_ROW stored values per row (distinct columns, sorted), float64."""
    n, d = BIG_ROWS, BIG_COLS
    counts = rng.poisson(BIG_PER_ROW, n)
    rows, cols = spread_columns(rng, counts, d)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    data = rng.uniform(-3, 3, n)[rows] + rng.uniform(0.5, 3, n)[rows] * (rng.random(rows.size) * 3.4 - 1.7)
    return Csr(data, cols, indptr.astype(np.int64), d, rng.random(d) + 0.5, rng.random(d) * 2.0 - 1.0)


def dense_size_text(n: int, d: int) -> str:
    size = n * d * 8
    return f"{size / 1e9:.0f} GB" if size >= 1e9 else f"{size / 2**20:.0f} MiB"


# ---------------------------------------------------------------------- speed and peak memory
COLUMNS_PER_STORED = 64  # D = 64 × the mean number of stored values per row: about 1.6 % of each row is stored
SPEED_SIZES = ((4096, 32), (1024, 32), (256, 32), (64, 32))  # (rows, mean stored values per row)
# 65,536 stored values each: many short rows (a loop over rows shows), a square, a few long rows
SPEED_PROBES = Probes(Probe((256, 256)), (Probe((32768, 2), "a loop over rows?"), Probe((4, 16384), "a loop over columns?")))
DENSE_SHARE = 0.5  # a peak of half the dense matrix or more means (N, D) temporaries


def speed_inputs(rng: np.random.Generator, n: int, k: int) -> tuple:
    """A CSR matrix of n rows holding about k values each, of D = COLUMNS_PER_STORED * k columns, with gamma and beta."""
    d = COLUMNS_PER_STORED * k
    counts = rng.integers(0, 2 * k + 1, n)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    rows = np.repeat(np.arange(n), counts)
    j = np.arange(rows.size) - indptr[rows]
    cols = np.floor((j + rng.random(rows.size)) * d / counts[rows]).astype(np.int64)  # distinct, sorted
    data = rng.random(rows.size) * 4.0 - 1.5
    return data, cols, indptr, d, rng.uniform(0.5, 1.5, d), rng.uniform(-1.0, 1.0, d)


def speed_run(impl: Any, data: Any, indices: Any, indptr: Any, d: int, gamma: Any, beta: Any) -> tuple:
    """Forward then backward, the forward's out_data standing for the upstream gradient."""
    out_data, mu, rstd, cache = impl.sparse_layernorm_forward(data, indices, indptr, d, gamma, beta)
    return out_data, mu, rstd, impl.sparse_layernorm_backward(out_data, cache)


@dataclass(frozen=True)
class SparseSpeed:
    figure: SpeedFigure
    dense_bytes: int

    @property
    def densifies(self) -> bool:
        peak, reference = self.figure.candidate_peak, self.figure.reference_peak
        return peak is not None and reference is not None and peak >= DENSE_SHARE * self.dense_bytes and peak >= 4 * reference

    def describe(self) -> str:
        n, k = self.figure.size
        where = (
            f" (sizes are rows × mean stored values per row; D = {COLUMNS_PER_STORED}× the latter: "
            f"{n}×{COLUMNS_PER_STORED * k} dense would be {self.dense_bytes / 2**20:.1f} MiB)"
        )
        return self.figure.describe() + where


def measure_sparse_speed(worker: Any, seed: int) -> SparseSpeed:
    """measure_speed with CSR workloads, probed with many short rows, a square and a few long rows."""
    workload = Workload(speed_inputs, speed_run)
    figure = measure_speed(worker, f"{FORWARD}/{BACKWARD}", workload, list(SPEED_SIZES), seed=seed, probes=SPEED_PROBES)
    n, k = figure.size
    return SparseSpeed(figure, n * COLUMNS_PER_STORED * k * 8)


__all__ = [
    "BIG_COLS",
    "BIG_ROWS",
    "Csr",
    "CsrCase",
    "assert_rows_close",
    "big_csr",
    "call_backward",
    "call_forward",
    "dense_size_text",
    "forward_diagnoses",
    "grad_diagnoses",
    "make_csr",
    "measure_sparse_speed",
    "model_forward",
    "reference_dense_output",
    "to_dense_diagnoses",
    "unpack",
]
