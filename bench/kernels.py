"""Forward + backward of each reference solution against torch CPU and the memory-bandwidth floor.

The floor is the time just moving the bytes a forward + backward pass must touch would take at this
machine's measured copy bandwidth: forward reads x and writes y, backward reads dy and x (or what it
cached) and writes dx, so five (N, D) arrays at least. NumPy runs with one BLAS thread; torch is timed
with one thread too (same footing) and with its default thread count.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((64, 768), (4096, 1024), (16384, 4096))
PROBLEMS = ("layernorm", "batchnorm")
DTYPES = ("float32", "float64")
ARRAYS_MOVED = 5


def _reference(slug: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{slug}", ROOT / "solutions" / f"{slug}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _numpy_workload(slug: str) -> Callable:
    ref = _reference(slug)
    forward, backward = getattr(ref, f"{slug}_forward"), getattr(ref, f"{slug}_backward")

    def run(x, gamma, beta, dout):
        backward(dout, forward(x, gamma, beta)[1])

    return run


def _torch_workload(slug: str) -> Callable | None:
    if importlib.util.find_spec("torch") is None:
        return None
    import torch
    import torch.nn.functional as F

    def run(x, gamma, beta, dout):
        xt = torch.from_numpy(x).requires_grad_(True)
        g = torch.from_numpy(gamma).requires_grad_(True)
        b = torch.from_numpy(beta).requires_grad_(True)
        if slug == "layernorm":
            y = F.layer_norm(xt, (x.shape[1],), g, b, 1e-5)
        else:
            y = F.batch_norm(xt, None, None, g, b, training=True, eps=1e-5)
        y.backward(torch.from_numpy(dout))

    return run


@dataclass
class Row:
    problem: str
    size: tuple[int, int]
    dtype: str
    numpy_ms: float
    torch1_ms: float | None
    torch_ms: float | None
    floor_ms: float


def copy_bandwidth() -> float:
    """Bytes per second of a large in-memory copy (read + write counted), best of several."""
    src = np.ones(32 << 20)  # 256 MiB
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = min(_timed(lambda: np.copyto(dst, src)) for _ in range(5))
    return 2 * src.nbytes / best


def _timed(fn: Callable) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median_ms(run: Callable, args: tuple, repeats: int) -> float:
    run(*args)
    return 1e3 * statistics.median(_timed(lambda: run(*args)) for _ in range(repeats))


def measure(problems: list[str], bandwidth: float) -> list[Row]:
    rows = []
    for slug in problems:
        numpy_run, torch_run = _numpy_workload(slug), _torch_workload(slug)
        for n, d in SIZES:
            for dtype in DTYPES:
                rng = np.random.default_rng(0)
                x = rng.standard_normal((n, d)).astype(dtype)
                dout = rng.standard_normal((n, d)).astype(dtype)
                gamma, beta = rng.uniform(0.5, 1.5, d).astype(dtype), rng.standard_normal(d).astype(dtype)
                args = (x, gamma, beta, dout)
                repeats = 15 if n * d < 1 << 20 else 5 if n * d < 1 << 24 else 3
                torch1 = torch_all = None
                if torch_run is not None:
                    import torch

                    threads = torch.get_num_threads()
                    torch.set_num_threads(1)
                    torch1 = _median_ms(torch_run, args, repeats)
                    torch.set_num_threads(threads)
                    torch_all = _median_ms(torch_run, args, repeats)
                rows.append(
                    Row(slug, (n, d), dtype, _median_ms(numpy_run, args, repeats), torch1, torch_all,
                        1e3 * ARRAYS_MOVED * x.nbytes / bandwidth)
                )  # fmt: skip
    return rows


def table(rows: list[Row]) -> str:
    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    def ratio(a: float, b: float | None) -> str:
        return "—" if b is None else f"{a / b:.2f}"

    lines = [
        "| problem | N×D | dtype | reference (NumPy, 1 thread) ms | torch 1 thread ms | torch default ms | floor ms "
        "| ref ÷ torch-1 | ref ÷ floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.problem} | {r.size[0]}×{r.size[1]} | {r.dtype} | {ms(r.numpy_ms)} | {ms(r.torch1_ms)} | "
            f"{ms(r.torch_ms)} | {r.floor_ms:.2f} | {ratio(r.numpy_ms, r.torch1_ms)} | {r.numpy_ms / r.floor_ms:.1f} |"
        )
    return "\n".join(lines)
