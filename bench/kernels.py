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
DTYPES = ("float32", "float64")
ARRAYS_MOVED = 5


def _reference(slug: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{slug}", ROOT / "solutions" / f"{slug}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Kernel:
    """One problem's forward + backward, as NumPy reference and as torch, on inputs of a given shape."""

    slug: str
    sizes: tuple[tuple[int, ...], ...]
    numpy: Callable[[ModuleType], Callable]  # reference module -> run(x, gamma, beta, dout)
    torch: Callable[[], Callable]  # () -> run(x, gamma, beta, dout), torch imported
    param_shape: Callable[[tuple[int, ...]], tuple[int, ...]] = lambda size: (size[-1],)


def _torch_run(op: Callable) -> Callable:
    import torch

    def run(x, gamma, beta, dout):
        xt = torch.from_numpy(x).requires_grad_(True)
        g = torch.from_numpy(gamma).requires_grad_(True)
        b = torch.from_numpy(beta).requires_grad_(True)
        op(xt, g, b).backward(torch.from_numpy(dout))

    return run


def _affine(slug: str) -> Callable:
    def make(ref: ModuleType) -> Callable:
        forward, backward = getattr(ref, f"{slug}_forward"), getattr(ref, f"{slug}_backward")
        return lambda x, gamma, beta, dout: backward(dout, forward(x, gamma, beta)[1])

    return make


def _rmsnorm(ref: ModuleType) -> Callable:
    return lambda x, gamma, beta, dout: ref.rmsnorm_backward(dout, ref.rmsnorm_forward(x, gamma)[1])


def _groupnorm(ref: ModuleType) -> Callable:
    def run(x, gamma, beta, dout):
        shaped = (1, -1, 1, 1)
        out, cache = ref.spatial_groupnorm_forward(x, gamma.reshape(shaped), beta.reshape(shaped), GROUPS, {})
        ref.spatial_groupnorm_backward(dout, cache)

    return run


def _torch_ops() -> dict[str, Callable]:
    import torch.nn.functional as F

    def rms(x, g, b):
        if hasattr(F, "rms_norm"):
            return F.rms_norm(x, (x.shape[-1],), g, 1e-5)
        return x * (x.pow(2).mean(-1, keepdim=True) + 1e-5).rsqrt() * g

    return {
        "layernorm": lambda x, g, b: F.layer_norm(x, (x.shape[-1],), g, b, 1e-5),
        "batchnorm": lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
        "rmsnorm": rms,
        "groupnorm": lambda x, g, b: F.group_norm(x, GROUPS, g, b, 1e-5),
    }


GROUPS = 8
MATRIX_SIZES = ((64, 768), (4096, 1024), (16384, 4096))
KERNELS = (
    Kernel("layernorm", MATRIX_SIZES, _affine("layernorm"), lambda: _torch_run(_torch_ops()["layernorm"])),
    Kernel("batchnorm", MATRIX_SIZES, _affine("batchnorm"), lambda: _torch_run(_torch_ops()["batchnorm"])),
    Kernel("rmsnorm", MATRIX_SIZES, _rmsnorm, lambda: _torch_run(_torch_ops()["rmsnorm"])),
    Kernel(
        "groupnorm",
        ((8, 64, 28, 28), (32, 64, 56, 56), (64, 128, 56, 56)),
        _groupnorm,
        lambda: _torch_run(_torch_ops()["groupnorm"]),
        param_shape=lambda size: (size[1],),
    ),
)


@dataclass
class Row:
    problem: str
    size: tuple[int, ...]
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


def available() -> list[Kernel]:
    """The kernels whose reference solution exists (problems are added over time)."""
    return [k for k in KERNELS if (ROOT / "solutions" / f"{k.slug}.py").is_file()]


def measure(kernels: list[Kernel], bandwidth: float) -> list[Row]:
    has_torch = importlib.util.find_spec("torch") is not None
    rows = []
    for kernel in kernels:
        numpy_run = kernel.numpy(_reference(kernel.slug))
        torch_run = kernel.torch() if has_torch else None
        for size in kernel.sizes:
            for dtype in DTYPES:
                rng = np.random.default_rng(0)
                x = rng.standard_normal(size).astype(dtype)
                dout = rng.standard_normal(size).astype(dtype)
                gamma = rng.uniform(0.5, 1.5, kernel.param_shape(size)).astype(dtype)
                beta = rng.standard_normal(kernel.param_shape(size)).astype(dtype)
                args = (x, gamma, beta, dout)
                repeats = 15 if x.size < 1 << 20 else 5 if x.size < 1 << 24 else 3
                torch1 = torch_all = None
                if torch_run is not None:
                    import torch

                    threads = torch.get_num_threads()
                    torch.set_num_threads(1)
                    torch1 = _median_ms(torch_run, args, repeats)
                    torch.set_num_threads(threads)
                    torch_all = _median_ms(torch_run, args, repeats)
                numpy_ms = _median_ms(numpy_run, args, repeats)
                rows.append(Row(kernel.slug, size, dtype, numpy_ms, torch1, torch_all, 1e3 * ARRAYS_MOVED * x.nbytes / bandwidth))
    return rows


def table(rows: list[Row]) -> str:
    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    def ratio(a: float, b: float | None) -> str:
        return "—" if b is None else f"{a / b:.2f}"

    lines = [
        "| problem | shape | dtype | reference (NumPy, 1 thread) ms | torch 1 thread ms | torch default ms | floor ms "
        "| ref ÷ torch-1 | ref ÷ floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.problem} | {'×'.join(map(str, r.size))} | {r.dtype} | {ms(r.numpy_ms)} | {ms(r.torch1_ms)} | "
            f"{ms(r.torch_ms)} | {r.floor_ms:.2f} | {ratio(r.numpy_ms, r.torch1_ms)} | {r.numpy_ms / r.floor_ms:.1f} |"
        )
    return "\n".join(lines)
