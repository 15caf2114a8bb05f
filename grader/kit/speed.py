"""The speed row: the candidate's time against the reference's, and labels that follow from the evidence.

The figures come from grader.kit.timing: the workers' CPU time as the kernel counts it, the best of a few
runs per side on fresh inputs, every run's results checked. Besides the main size (the largest that fits
the time budget), the workload runs on three probes of about the same number of elements: a square one,
a tall-and-narrow one and a short-and-wide one. A vectorized solution's ratio to the reference hardly
moves between them, whatever the ratio is; a Python loop over rows (or columns) pays per iteration, so
its ratio grows with the number of rows (or columns). Only that growth is called "not vectorized"; a
ratio that is high on every shape is "slow", by its factor.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from grader.core.session import WorkerSession
from grader.kit.timing import RUNS, Bench, Side, Timed
from grader.kit.workload import Workload
from grader.outcomes import MeasurementError, NotRun
from grader.sandbox.cores import cores, pinned
from grader.sandbox.meter import CPU_TIME

GROWTH = 3.0  # a ratio on a tall or wide probe this many times the lowest on the other probes ...
LOOP_RATIO = 5.0  # ... and at least this many times the reference's time there is a loop
SLOW_RATIO = 3.0  # this many times the reference's time, on every shape alike, is "slow"
BUDGET_S = 2.0  # about what the candidate's runs at the main size may take together
WARM_UP_S = 0.05  # a candidate predicted this quick at the main size warms up there (its first run is slow)
SANE_RATIO = 1e6  # a ratio beyond this (or its inverse) is a broken measurement, not a figure


@dataclass(frozen=True)
class Probe:
    """A probe shape, `suspect` saying what a growing ratio there suggests, `label` how the size reads."""

    size: tuple[int, ...]
    suspect: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or "×".join(map(str, self.size))


@dataclass(frozen=True)
class Probes:
    """The square probe and the growing ones (tall, wide), all of about the same element count; each growing
    one's ratio is compared with the lowest ratio among the others."""

    square: Probe
    growing: tuple[Probe, ...]


# (rows, features): 65,536 elements each, as a square, as many short rows and as a few long ones
DEFAULT_PROBES = Probes(Probe((256, 256)), (Probe((4096, 16), "a loop over rows?"), Probe((16, 4096), "a loop over columns?")))


@dataclass(frozen=True)
class ShapeProbe:
    """A probe as measured: the candidate's best time there over the reference's."""

    probe: Probe
    ratio: float


@dataclass(frozen=True)
class SpeedFigure:
    """What the speed row says, and all it says it from: the label is a function of these numbers alone."""

    ratio: float  # best candidate run / best reference run at `size`
    low: float  # the lowest and highest ratio of runs paired in turn
    high: float
    size: tuple[int, ...]
    full_size: tuple[int, ...]
    runs: int
    candidate_s: float
    reference_s: float
    candidate_peak: int | None = None  # bytes; None: not measured on this system
    reference_peak: int | None = None
    square: ShapeProbe | None = None
    shapes: tuple[ShapeProbe, ...] = ()
    clock: str = CPU_TIME

    def baseline(self, shape: ShapeProbe) -> ShapeProbe:
        """The probe `shape`'s ratio is compared with: the lowest ratio among the others (the square's, or the
        opposite shape's when a loop makes the square slow too)."""
        others = [p for p in ([self.square] if self.square else []) + list(self.shapes) if p is not shape]
        return min(others, key=lambda p: p.ratio, default=shape)

    def growth(self, shape: ShapeProbe) -> float:
        """How many times its baseline's ratio the ratio on `shape` is."""
        return shape.ratio / self.baseline(shape).ratio

    @property
    def loops(self) -> list[ShapeProbe]:
        """The shapes on which the ratio grew past GROWTH, to LOOP_RATIO or more: the evidence of a Python loop.

        A loop over a probe's thousands of rows (or columns) costs many times the reference's whole pass
        there, and more the more rows it has; a vectorized solution's ratio moves less than that between
        shapes, even where its way of reducing suits one shape better than another."""
        return [shape for shape in self.shapes if self.growth(shape) >= GROWTH and shape.ratio >= LOOP_RATIO]

    def loop_evidence(self, subject: str = "the reference") -> str:
        """'95× the reference at 4096×16, against 1.2× at 16×4096: ...' for each loop, or ''."""
        return "; ".join(
            f"{_times(p.ratio)} {subject} at {p.probe.name}, against {_times(self.baseline(p).ratio)} at "
            f"{self.baseline(p).probe.name}: the ratio grows {_times(self.growth(p))} with the shape ({p.probe.suspect})"
            for p in self.loops
        )

    def details(self) -> str:
        """Run spread, times, peak memory and the probes' ratios: everything but the headline ratio."""
        shape = "×".join(map(str, self.size))
        shrunk = "" if self.size == self.full_size else " (shrunk to fit the time budget)"
        probes = ", ".join(f"{p.ratio:.2f}× at {p.probe.name}" for p in ([self.square] if self.square else []) + list(self.shapes))
        return (
            f"at {shape}{shrunk}, best of {self.runs} runs each ({self.low:.2f}–{self.high:.2f} run by run): "
            f"{self.candidate_s * 1e3:.1f} ms vs {self.reference_s * 1e3:.1f} ms of {self.clock}; peak memory {self.memory()}"
            + (f"; on the probes {probes}" if probes else "")
        )

    def memory(self) -> str:
        if self.candidate_peak is None or self.reference_peak is None:
            return "not measured on this system"
        return f"{self.candidate_peak / 2**20:.1f} MiB vs {self.reference_peak / 2**20:.1f} MiB"

    def describe(self) -> str:
        text = f"{self.ratio:.2f}× the reference's {self.clock} {self.details()}"
        if self.loops:
            return f"not vectorized: {self.loop_evidence()}. {text}"
        if self.ratio >= SLOW_RATIO:
            return f"slow: {text}"
        return text


def measure_speed(
    worker: WorkerSession, label: str, workload: Workload, sizes: list[tuple[int, ...]], *, seed: int,
    probes: Probes = DEFAULT_PROBES,
) -> SpeedFigure:
    """The candidate's time against the reference's. `worker` is the suite's `worker` fixture (a
    WorkerSession); sizes go largest first, and the largest that fits the time budget is measured."""
    measured = _Measured(worker, label, workload, sizes, seed, probes, {})
    return measured.figure(0, 1)


@dataclass(frozen=True)
class RelativeSpeed:
    """A variant of a candidate function against the candidate's own original, each also against the reference."""

    figure: SpeedFigure  # the variant's time against the original's
    variant: SpeedFigure  # against the reference's: where its loops show
    original: SpeedFigure


def measure_relative_speed(
    worker: WorkerSession, label: str, workload: Workload, sizes: list[tuple[int, ...]], *, seed: int,
    variant: dict[str, str], probes: Probes = DEFAULT_PROBES,
) -> RelativeSpeed:
    """The candidate's `variant` functions ({workload's name: the candidate's other function}) against its own
    originals, both in the candidate's worker; the reference's runs check both and show each one's loops."""
    measured = _Measured(worker, label, workload, sizes, seed, probes, variant)
    return RelativeSpeed(measured.figure(0, 1), measured.figure(0, 2), measured.figure(1, 2))


class _Measured:
    """Every side's runs at the main size and on the probes: the candidate first, the reference last."""

    def __init__(
        self, worker: WorkerSession, label: str, workload: Workload, sizes: list[tuple[int, ...]], seed: int,
        probes: Probes, variant: dict[str, str],
    ) -> None:
        broken = worker.broken()
        if broken:
            raise NotRun(f"not run: {broken}")
        reference = Side(worker.reference_worker(), trusted=True)
        candidate = Side(worker, variant)
        sides = (candidate, Side(worker)) if variant else (candidate, reference)
        bench = Bench(workload, label, np.random.default_rng(seed))
        # The candidate's smallest run first, on its own: a function that raises fails the row here, before
        # the reference's worker is booted and warmed for nothing.
        t_small = bench.one_run(candidate, sizes[-1])
        largest = bench.inputs(sizes[0])
        with ThreadPoolExecutor(1) as pool:
            # The reference's worker warms up at the largest size while the candidate's runs choose the size
            # and, if the largest is quick enough for it, the candidate's warms up there too. A warm-up is a
            # first run at its size, whose memory has to be paged in anyway: the peak is measured there.
            warming = pool.submit(bench.warm_up, reference, largest, largest.factors(bench.secret))
            size, predicted_s = _largest_within_budget(bench, candidate, sizes, t_small)
            warmed = size == sizes[0] and predicted_s <= WARM_UP_S
            peaks = (bench.warm_up(candidate, largest, largest.factors(bench.secret)) if warmed else None, warming.result())
        # Both workers on one core from here on: see grader.sandbox.cores.
        with pinned(dict.fromkeys([worker.meter().pid, reference.session.meter().pid], cores()[-1])):
            self.main = bench.pair(sides, reference, size, memory=bool(variant) or not warmed)
            self.shapes = [bench.pair(sides, reference, probe.size) for probe in (probes.square, *probes.growing)]
        if warmed and not variant:
            self.main = replace(self.main, peaks=peaks)
        self.full_size, self.probes, self.clock = sizes[0], probes, worker.meter().clock

    def figure(self, side: int, against: int) -> SpeedFigure:
        return compare(self.main, self.shapes, self.probes, side, against, full_size=self.full_size, clock=self.clock)


def compare(
    main: Timed, shapes: list[Timed], probes: Probes, side: int, against: int, *, full_size: tuple[int, ...], clock: str
) -> SpeedFigure:
    """Side `side`'s runs against side `against`'s: best run against best run at the main size and on each
    probe (`shapes`: the square's, then the growing ones'). An error, never a pass, when any number in it is
    not a plausible time."""
    mine, theirs = main.times[side], main.times[against]
    ratios = [_ratio(a, b) for a, b in zip(mine, theirs)]
    probed = [_ratio(_best(t.times[side]), _best(t.times[against])) for t in shapes]
    result = SpeedFigure(
        ratio=_ratio(_best(mine), _best(theirs)),
        low=min(ratios),
        high=max(ratios),
        size=main.size,
        full_size=full_size,
        runs=len(ratios),
        candidate_s=min(mine),
        reference_s=min(theirs),
        candidate_peak=main.peaks[side],
        reference_peak=main.peaks[against],
        square=ShapeProbe(probes.square, probed[0]),
        shapes=tuple(ShapeProbe(p, r) for p, r in zip(probes.growing, probed[1:])),
        clock=clock,
    )
    for value in (result.ratio, result.low, result.high, *probed):
        if not (1 / SANE_RATIO <= value <= SANE_RATIO):
            raise MeasurementError(f"the speed figure came out as {value:g}×, which is no measurement: {result.details()}")
    return result


def _times(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def _best(times: list[float]) -> float:
    """The fastest run (load only ever adds time); an error if any run's time is not a time at all."""
    for seconds in times:
        if not math.isfinite(seconds) or seconds < 0:
            raise MeasurementError(f"the speed row measured a run of {seconds:g} s, which is no measurement")
    return min(times)


def _ratio(a: float, b: float) -> float:
    if not (math.isfinite(a) and math.isfinite(b)) or a < 0 or b <= 0:
        raise MeasurementError(f"the speed row measured {a:g} s against {b:g} s, which is no measurement")
    return a / b


def _largest_within_budget(
    bench: Bench, side: Side, sizes: list[tuple[int, ...]], t_small: float
) -> tuple[tuple[int, ...], float]:
    """The largest size whose run fits the budget, and the seconds predicted for it.

    From the time at the smallest size (`t_small`, measured already) and one run at the next, fits
    time = a + b * elements: a loop over columns, whose cost does not grow with the number of rows, is then
    not shrunk for nothing."""
    small, next_up = sizes[-1], sizes[-2] if len(sizes) > 1 else sizes[-1]
    t_next = bench.one_run(side, next_up) if next_up != small else t_small
    n_small, n_next = float(np.prod(small)), float(np.prod(next_up))
    slope = max((t_next - t_small) / (n_next - n_small), 0.0) if n_next > n_small else t_small / n_small
    intercept = max(t_next - slope * n_next, 0.0)
    per_run = BUDGET_S / (RUNS + 1)
    predicted = [(size, intercept + slope * float(np.prod(size))) for size in sizes]
    return next((choice for choice in predicted if choice[1] <= per_run), predicted[-1])
