"""How the speed row measures: two sides of a workload, fresh inputs for every run, the kernel's CPU counts.

A side is an implementation held by a worker: the candidate's, the reference's (in a worker of its own),
or the candidate's variant of one of its functions. For each size, setup's inputs are built here and
uploaded once to each worker; every run then works on a fresh variant of them (grader.sandbox.held), made
in the worker from factors drawn here, so no run can reuse a result of an earlier one. The sides take
turns run by run (A B A B ...), so drifting load touches both.

What a run costs a side is read from the kernel around each request (grader.sandbox.meter): the CPU
seconds of the run's timed calls, plus whatever else its worker spent from the start of the run to the
start of its next one beyond the least the reference's runs spent on the same untimed requests (making the fresh
inputs, sketching the results). Work moved out of the calls — into the making of the inputs, into the
sketching of the results, into a signal handler between requests — is still counted, and an honest
side's figure is its calls and a little noise. After each run, its results are sketched in its worker and
compared with the reference's on the same inputs: a run that skipped its work or returned a remembered
result fails the row.
"""

from __future__ import annotations

import contextlib
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.core.session import WorkerSession
from grader.kit.workload import Calls, FreshSeed, Held, Impl, Workload, holds_arrays, results
from grader.outcomes import CheckFailed, CheckOutcome, MeasurementError
from grader.sandbox import replies
from grader.sandbox.held import float_leaves
from grader.sandbox.meter import WALL_TIME
from grader.sandbox.protocol import ProtocolError, Ref, dumps

RUNS = 2  # timed runs of each side at a size, after a warm-up: a figure is the best (load only ever adds time)
SHIFT = 0.25  # a fresh input is the uploaded one shifted by up to this share of its root mean square ...
SCALE_RANGE = (0.75, 1.25)  # ... and, if it has one axis, scaled by a factor in this range
RTOL = 1e-6  # a result's sketch may differ from the reference's by this share of the sketch's norm ...
FLOOR = 1e-3  # ... or of this share of the largest result's, whichever is more
RMS_SAMPLES = 4096


@dataclass(frozen=True)
class Side:
    """An implementation to time: a worker, and which of its functions stand for the workload's names."""

    session: WorkerSession
    rename: dict[str, str] = field(default_factory=dict)
    trusted: bool = False  # the reference: its failures are the grader's, never the candidate's


@dataclass(frozen=True)
class Timed:
    """Seconds of each run of each side at one size (in the order pair() was given them), and the peak
    memory of each side's first run (None: not measured)."""

    size: tuple[int, ...]
    times: tuple[list[float], ...]
    peaks: tuple[int | None, ...]


@dataclass
class _Run:
    """One run of the workload on one side, as the grader saw it: CPU marks of its worker, its calls' seconds."""

    session: WorkerSession
    start: float
    end: float = 0.0
    calls: float = 0.0
    prepared: float = 0.0  # CPU seconds of the workload's untimed calls (prepare)
    results: list[tuple[str, Ref]] = field(default_factory=list)
    sketches: list[dict] = field(default_factory=list)
    peak: int | None = None
    span: float = 0.0  # CPU seconds of its worker from this run's start to the next run's on that worker
    wall: bool = False  # timed by the grader's wall clock (no CPU clock here): the time between runs is others'


class Bench:
    """The speed row's measurements of one workload: `label` names it in messages and marks what broke."""

    def __init__(self, workload: Workload, label: str, rng: np.random.Generator) -> None:
        self.workload, self.label, self.rng = workload, label, rng  # `rng` (the grading's seed) draws the inputs
        # Every run's fresh variant, call seed and sketch vector come from the system's randomness instead. The
        # grading's seed is printed and small enough to search: a worker that found it from the inputs it was
        # sent could replay every draw to come, compute each run's results while the uploads are not timed,
        # and answer the timed runs from memory.
        self.secret = np.random.default_rng(secrets.randbits(128))
        self._inputs: dict[tuple[int, ...], _Inputs] = {}

    def inputs(self, size: tuple[int, ...]) -> _Inputs:
        """setup's values at `size`, built here once; pair() at that size uses them (and then lets them go)."""
        if size not in self._inputs:
            self._inputs[size] = _Inputs(self.workload.setup(self.rng, *size), self.label)
        return self._inputs[size]

    def warm_up(self, side: Side, inputs: _Inputs, factors: list) -> int | None:
        """One unchecked run, whose peak memory it returns: it uploads the inputs and pays a fresh worker's
        first costs (the growth of its heap, its libraries' set-up) before anything is timed. Its results are
        sketched, so that work put off until then shows in the peak too. Draws nothing: it can
        run in a thread of its own beside the other side's work."""
        return self._run(side, inputs, factors, seed=0, sketch_seed=0, memory=True).peak

    def one_run(self, side: Side, size: tuple[int, ...]) -> float:
        """CPU seconds of one unchecked run of `side` on new inputs of `size` (for sizing, before the real runs)."""
        inputs = _Inputs(self.workload.setup(self.rng, *size), self.label)
        run = self._run(side, inputs, inputs.factors(self.secret), seed=0, sketch_seed=None)
        inputs.release()
        return run.calls

    def pair(self, sides: tuple[Side, ...], expected: Side, size: tuple[int, ...], *, memory: bool = False) -> Timed:
        """RUNS runs of each side, and of `expected` after them unless it is one of them, in turns on fresh
        inputs of `size`; every run's results are checked against `expected`'s on the same inputs. With
        `memory`, a first run more measures each side's peak memory (and pages it in, which costs time)."""
        timed = [*sides] if any(side is expected for side in sides) else [*sides, expected]
        inputs = self.inputs(size)
        runs: list[list[_Run]] = []
        for number in range(1, RUNS + memory + 1):
            factors, seed, sketch_seed = inputs.factors(self.secret), int(self.secret.integers(2**31)), int(self.secret.integers(2**31))
            group = [self._run(side, inputs, factors, seed, sketch_seed, memory=memory and number == 1) for side in timed]
            want = next(run for side, run in zip(timed, group) if side is expected)
            for run in group:
                if run is not want:
                    _check(run, want, f"run {number} at {'×'.join(map(str, size))}")
            runs.append(group)
        self._inputs.pop(size).release()
        _close_spans([run for group in runs for run in group])
        baseline = [i for i, side in enumerate(timed) if side.trusted]
        return Timed(
            size, tuple(_charged(runs, i, sides, baseline) for i in range(len(timed))), tuple(run.peak for run in runs[0])
        )

    def _run(
        self, side: Side, inputs: _Inputs, factors: list, seed: int, sketch_seed: int | None, *, memory: bool = False
    ) -> _Run:
        with _blamed(side):
            return self._attempt(side, inputs, factors, seed, sketch_seed, memory)

    def _attempt(self, side: Side, inputs: _Inputs, factors: list, seed: int, sketch_seed: int | None, memory: bool) -> _Run:
        session = side.session
        base = inputs.uploaded(session)  # before the run's first mark: the upload is no part of any run
        meter = session.meter()
        run = _Run(session, meter.cpu_s(), wall=meter.clock == WALL_TIME)
        message = {"op": "fresh", "base": base, "factors": factors}
        fresh = session.measured(self.label, message, _REF, drops=True)[0]["ref"]
        args = inputs.arguments(fresh, seed)
        calls = Calls(session, side.rename)
        if self.workload.prepare is not None:
            args += tuple(self.workload.prepare(Impl(calls), *args))
        if memory:
            session.measured(self.label, {"op": "trim"}, replies.DONE)
        baseline = meter.start_peak() if memory else None
        calls.timed = True
        returned = self.workload.run(Impl(calls), *args)
        run.calls, run.prepared = calls.seconds, calls.untimed_seconds
        if sketch_seed is not None:
            run.results = [(where, result.ref) for where, result in results(returned)]
            message = {"op": "sketch", "values": [ref for _, ref in run.results], "seed": sketch_seed}
            run.sketches = session.measured(self.label, message, _sketches(len(run.results)))[0]["sketches"]
        run.peak = meter.peak_above(baseline)  # after the sketches: work put off until then shows too
        run.end = meter.cpu_s()
        session.release([fresh, *calls.refs])
        return run


class _Inputs:
    """setup's values at one size: the held ones uploaded once to each worker that runs them, refreshed for every run."""

    def __init__(self, values: tuple, label: str) -> None:
        self.values, self.label = values, label
        self.held = [i for i, value in enumerate(values) if holds_arrays(value)]
        payload = tuple(values[i] for i in self.held)
        self.leaves = [(leaf.shape, _rms(leaf)) for leaf in float_leaves(payload)]
        self.upload = dumps({"op": "hold", "value": payload})  # encoded once, for every worker
        self.base: dict[int, tuple[WorkerSession, Ref]] = {}

    def uploaded(self, session: WorkerSession) -> Ref:
        """The inputs as `session`'s worker holds them, uploaded on first use."""
        if id(session) not in self.base:
            self.base[id(session)] = session, session.measured(self.label, self.upload, _REF)[0]["ref"]
        return self.base[id(session)][1]

    def release(self) -> None:
        for session, ref in self.base.values():
            session.release([ref])

    def factors(self, rng: np.random.Generator) -> list:
        """(scale, shift along the first axis, shift along the last) for every float array (see held.refresh)."""
        drawn = []
        for shape, rms in self.leaves:
            if len(shape) > 1:
                shifts = rng.uniform(-SHIFT * rms, SHIFT * rms, shape[0]), rng.uniform(-SHIFT * rms, SHIFT * rms, shape[-1])
                drawn.append((1.0, *shifts))
            else:
                drawn.append((float(rng.uniform(*SCALE_RANGE)), None, float(rng.uniform(-SHIFT * rms, SHIFT * rms))))
        return drawn

    def arguments(self, fresh: Ref, seed: int) -> tuple:
        """run's arguments for one run: held values point into its fresh inputs, FreshSeed is `seed`."""
        position = {i: j for j, i in enumerate(self.held)}
        return tuple(
            Held(Ref(fresh.handle, (position[i],)), value) if i in position else seed if isinstance(value, FreshSeed) else value
            for i, value in enumerate(self.values)
        )


@contextlib.contextmanager
def _blamed(side: Side) -> Iterator[None]:
    """Outcomes on a trusted side (the reference) are the grader's failure: an error row, not the candidate's fail."""
    try:
        yield
    except CheckOutcome as outcome:
        if not side.trusted:
            raise
        raise MeasurementError(f"the reference solution could not run the speed workload ({outcome.message}): a fault of the grader") from None


def _rms(array: np.ndarray) -> float:
    """An estimate of the array's root mean square from evenly spaced samples (1 when it is all zeros)."""
    flat = array.reshape(-1)
    sample = flat[:: max(1, flat.size // RMS_SAMPLES)].astype(np.float64)
    rms = float(np.sqrt(np.mean(sample * sample))) if sample.size else 0.0
    return rms if rms > 0 and math.isfinite(rms) else 1.0


def _close_spans(runs: list[_Run]) -> None:
    """Each run's span: its worker's CPU from its start to the next run's start there (or its own end; and
    always its own end on a wall clock, which between runs counts the other sides' time)."""
    following: dict[int, _Run] = {}
    for run in reversed(runs):
        after = following.get(id(run.session))
        run.span = (after.start if after and not run.wall else run.end) - run.start
        following[id(run.session)] = run


def _charged(runs: list[list[_Run]], index: int, compared: tuple[Side, ...], baseline: list[int]) -> list[float]:
    """Side `index`'s seconds, run by run: its calls, plus whatever else its worker spent during the run beyond
    the least the reference's runs (`baseline`: the trusted sides) spent outside their calls on the same
    requests (making inputs, sketching results). An honest worker's extra is noise; work moved out of the
    calls is counted. The allowance comes from the reference alone: a candidate's worker that made its own
    untimed requests cheap (or dear) would otherwise set the allowance the candidate is measured against.

    Sides compared on one worker (a variant and its original) run the same untimed calls first, the same
    code on the same inputs: those calls' time says nothing about either side, so it is left out, noise and all.
    """
    shared = len({id(side.session) for side in compared}) == 1

    def outside(run: _Run) -> float:
        return run.span - run.calls - (run.prepared if shared else 0.0)

    least = min((outside(group[i]) for group in runs for i in baseline), default=0.0)
    return [group[index].calls + max(outside(group[index]) - least, 0.0) for group in runs]


def _check(run: _Run, want: _Run, which: str) -> None:
    """The run's results must be the expected side's on the same inputs (within RTOL of each sketch's norm)."""
    if [where for where, _ in run.results] != [where for where, _ in want.results]:
        raise CheckFailed(
            f"the speed row's {which} returned results shaped unlike the reference's "
            f"({', '.join(w for w, _ in run.results)} against {', '.join(w for w, _ in want.results)})"
        )
    scale = max((float(np.linalg.norm(s["rows"])) for s in want.sketches if "rows" in s), default=0.0)
    for (where, _), got, expected in zip(run.results, run.sketches, want.sketches):
        why = _differs(got, expected, scale)
        if why:
            raise CheckFailed(
                f"the speed row's {which}: {where} {why}, so it is not the reference's result on the same inputs "
                "and the two times are not comparable; the other rows say where your results differ (only runs "
                "that computed their results are timed, so one returned at once or remembered also ends here)"
            )


def _differs(got: dict, want: dict, scale: float) -> str | None:
    """Why one result's sketch is not the reference's, or None. A result that should be about zero (a bias's
    gradient under a normalization) is compared at the scale of the run's largest result, `scale`."""
    if "type" in got or "type" in want:
        return None if got == want else f"is {got.get('type', 'an array')} where the reference returns {want.get('type', 'an array')}"
    if got["shape"] != want["shape"]:
        return f"has shape {tuple(got['shape'])}, the reference's {tuple(want['shape'])}"
    rows, expected = got["rows"], want["rows"]
    if rows.shape != expected.shape or not np.all(np.isfinite(rows)):
        return "holds NaN or inf" if rows.shape == expected.shape else "is not shaped like the reference's"
    gap = np.abs(rows - expected)
    if float(np.linalg.norm(gap)) <= RTOL * (float(np.linalg.norm(expected)) + FLOOR * scale) + 1e-300:
        return None
    return f"has other values (most in row {int(np.argmax(gap))})" if len(got["shape"]) > 1 else "has other values"


def _vector(value: Any, where: str) -> None:
    replies.array(value, where)
    if value.ndim != 1 or value.dtype != np.float64:
        raise ProtocolError(f"the worker sent a malformed reply: {where} should be a vector of float64")


_SKETCH = replies.record({}, {"type": replies.text, "shape": replies.list_of(replies.integer, 64), "rows": _vector})
_REF = replies.record({"ref": replies.ref})


def _sketches(count: int) -> replies.Shape:
    """A sketch reply: one sketch per result asked for, each a type name, or a shape and a vector of row sums."""

    def check(value: Any, where: str) -> None:
        replies.record({"sketches": replies.list_of(_SKETCH)})(value, where)
        sketches = value["sketches"]
        if len(sketches) != count or any(not ({"type"} == s.keys() or {"shape", "rows"} == s.keys()) for s in sketches):
            raise ProtocolError(f"the worker sent a malformed reply: {where} should hold {count} sketches")

    return check
