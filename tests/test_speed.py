"""The speed row: labels that follow from evidence, figures the worker cannot move, inputs it cannot reuse.

The labels are tested on synthetic figures (they depend on ratios only, never on how busy the machine
was); the kernel's counts on a child process of this test; the worker's fresh inputs and sketches in
process; and the whole row on the reference and on hostile files, graded for real.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import CATALOG, ROOT, grade

from grader.kit.bn_param_checks import describe_relative_speed
from grader.kit.speed import DEFAULT_PROBES, RelativeSpeed, SpeedFigure, compare
from grader.kit.timing import Timed
from grader.model import GradeReport, Picture
from grader.outcomes import MeasurementError
from grader.render import report_json
from grader.sandbox.held import refresh, sketch
from grader.sandbox import meter as meter_module
from grader.sandbox.meter import CPU_TIME, WALL_TIME, ProcessMeter

REFERENCE_S = 1e-3


def figure(main: float, square: float, tall: float, wide: float, *, slow_run: float | None = None) -> SpeedFigure:
    """A figure whose candidate takes `main` times the reference at the main size and the given ratios on the
    probes, over three runs each; `slow_run` makes one candidate run that many times slower (a busy machine)."""

    def runs(ratio: float, size: tuple[int, ...]) -> Timed:
        mine = [ratio * REFERENCE_S] * 3
        if slow_run:
            mine[1] *= slow_run
        return Timed(size, (mine, [REFERENCE_S] * 3), (None, None))

    probes = (DEFAULT_PROBES.square, *DEFAULT_PROBES.growing)
    shapes = [runs(r, p.size) for r, p in zip((square, tall, wide), probes)]
    return compare(runs(main, (1024, 1024)), shapes, DEFAULT_PROBES, 0, 1, full_size=(1024, 1024), clock=CPU_TIME)


# ---------------------------------------------------------------------- labels from synthetic figures
@pytest.mark.parametrize("factor", [3.2, 5.0, 12.0, 50.0, 400.0])
def test_a_constant_factor_is_slow_at_any_factor_and_never_a_loop(factor: float) -> None:
    text = figure(factor, factor, factor * 1.4, factor / 1.4).describe()
    assert text.startswith(f"slow: {factor:.2f}× the reference's CPU time"), text
    assert "not vectorized" not in text and "loop" not in text


def test_near_the_reference_there_is_no_label() -> None:
    text = figure(1.0, 1.0, 1.3, 0.8).describe()
    assert text.startswith("1.00× the reference's CPU time at 1024×1024, best of 3 runs each"), text


def test_a_ratio_growing_with_the_rows_is_a_loop_over_rows() -> None:
    text = figure(2.6, 6.0, 55.0, 1.5).describe()
    assert text.startswith(
        "not vectorized: 55× the reference at 4096×16, against 1.5× at 16×4096: the ratio grows 37× with the shape "
        "(a loop over rows?). 2.60× the reference's CPU time"
    ), text


def test_a_ratio_growing_with_the_columns_is_a_loop_over_columns() -> None:
    text = figure(10.0, 5.0, 1.8, 73.0).describe()
    assert text.startswith("not vectorized: 73× the reference at 16×4096, against 1.8× at 4096×16"), text
    assert "(a loop over columns?)" in text and "a loop over rows" not in text


def test_growth_is_the_evidence_even_when_the_main_size_is_fast() -> None:
    assert figure(1.2, 2.0, 20.0, 1.0).describe().startswith("not vectorized: 20× the reference at 4096×16")


def test_a_vectorized_solution_suited_to_other_shapes_is_no_loop() -> None:
    """sparse_layernorm's reduceat variant: 2.5× the reference on many tiny rows, 0.8× on the square, never
    the many times the reference's whole pass that a loop over those rows costs."""
    text = figure(0.9, 0.76, 2.45, 1.02).describe()
    assert text.startswith("0.90× the reference's CPU time"), text


def test_growth_under_the_margin_is_no_loop() -> None:
    text = figure(5.0, 5.0, 5.0 * 2.9, 5.0).describe()
    assert text.startswith("slow: 5.00×") and "not vectorized" not in text


def test_a_slow_run_does_not_move_the_figure() -> None:
    """The best of the runs stands: a machine busy during one run changes nothing of the label."""
    steady, disturbed = figure(1.0, 1.0, 1.0, 1.0), figure(1.0, 1.0, 1.0, 1.0, slow_run=30.0)
    assert disturbed.ratio == steady.ratio and disturbed.describe().startswith("1.00×")
    assert not disturbed.loops and disturbed.high == pytest.approx(30.0)


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -1e-3, 0.0, 1e4])
def test_no_figure_is_an_error_never_a_pass(seconds: float) -> None:
    """NaN, infinite, negative, zero or absurd (10^7×) times make the row an error."""
    main = Timed((1024, 1024), ([1e-3, seconds, 1e-3], [seconds] * 3), (None, None))
    shapes = [Timed(p.size, ([1e-3] * 3, [1e-3] * 3), (None, None)) for p in (DEFAULT_PROBES.square, *DEFAULT_PROBES.growing)]
    with pytest.raises(MeasurementError):
        compare(main, shapes, DEFAULT_PROBES, 0, 1, full_size=(1024, 1024), clock=CPU_TIME)


def test_a_relative_row_names_the_function_whose_time_grows() -> None:
    """batchnorm_running: a loop in the staged backward makes the alternative look faster and faster; the loop
    is the staged backward's, as its ratio to the reference shows."""
    speed = RelativeSpeed(figure(0.1, 0.12, 0.9, 0.01), figure(1.0, 1.0, 1.1, 0.9), figure(10.0, 8.0, 1.2, 120.0))
    text = describe_relative_speed(speed, "batchnorm_backward_alt", "batchnorm_backward")
    assert text.startswith("not vectorized? your batchnorm_backward takes 120× the reference at 16×4096"), text
    assert "(a loop over columns?)" in text and "your batchnorm_backward_alt takes 0.10× the CPU time" in text
    assert "batchnorm_backward_alt takes 1.1×" not in text


def test_json_stays_json_whatever_the_numbers() -> None:
    report = GradeReport("layernorm", "t", "f", 1, speed_ratio=math.nan, picture=Picture("v", {"x": [1.0, math.inf]}))
    document = json.loads(report_json(report), parse_constant=lambda name: pytest.fail(f"{name} in --json"))
    assert document["speed_ratio"] is None and document["picture"]["data"]["x"] == [1.0, None]


# ---------------------------------------------------------------------- what the worker does with held values
def test_fresh_inputs_are_new_everywhere_and_the_same_on_both_sides() -> None:
    rng = np.random.default_rng(0)
    base = (rng.random((6, 5)), {"gamma": rng.random(5), "rows": np.arange(6)}, rng.random(3) > 0.5)
    factors = [(1.0, rng.random(6), rng.random(5)), (1.1, None, 0.3)]
    one, two = refresh(base, factors), refresh(base, factors)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1]["gamma"], two[1]["gamma"])  # bit for bit
    x_shift = one[0] - base[0]
    assert not np.allclose(x_shift, x_shift[:1]) and not np.allclose(x_shift, x_shift[:, :1])  # rows and columns
    assert one[1]["rows"] is base[1]["rows"] and one[2] is base[2]  # integers and masks are kept as they are


def test_a_sketch_sees_any_changed_entry() -> None:
    result = np.random.default_rng(1).random((64, 32))
    changed = result.copy()
    changed[40, 7] += 1e-3
    assert np.array_equal(sketch(result, 5, 0)["rows"], sketch(result.copy(), 5, 0)["rows"])
    gap = np.abs(sketch(changed, 5, 0)["rows"] - sketch(result, 5, 0)["rows"])
    assert int(np.argmax(gap)) == 40 and gap[40] > 0
    assert not np.array_equal(sketch(result, 5, 0)["rows"], sketch(result, 6, 0)["rows"])  # the seed, sent after the run


# ---------------------------------------------------------------------- the kernel's counts, read from outside
def test_the_meter_reads_another_process_cpu_time_and_peak_memory() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time\n"
            "t = time.process_time()\n"
            "while time.process_time() - t < 0.2: pass\n"
            "print('busy', flush=True); sys.stdin.readline()\n"
            "block = bytearray(64 * 2**20); block[::4096] = b'x' * len(block[::4096])\n"
            "print('big', flush=True); sys.stdin.readline()\n"
        )],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        meter = ProcessMeter(child.pid)
        assert child.stdout.readline() == "busy\n"
        assert meter.clock == CPU_TIME and 0.2 <= meter.cpu_s() < 1.0
        baseline = meter.start_peak()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline() == "big\n"
        assert baseline is not None and 60 * 2**20 <= meter.peak_above(baseline) < 100 * 2**20
    finally:
        child.kill()
        child.wait()


def test_without_a_cpu_clock_the_figures_are_named_wall_clock_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no clock for another process's CPU time: the grader's clock stands in, and says so."""
    monkeypatch.setattr(meter_module, "_process_cpu_clock", lambda pid: None)
    monkeypatch.setattr(meter_module, "_schedstat", lambda pid: None)
    assert ProcessMeter(1).clock == WALL_TIME
    text = compare(*_flat(2.0), DEFAULT_PROBES, 0, 1, full_size=(1024, 1024), clock=WALL_TIME).describe()
    assert text.startswith("2.00× the reference's wall-clock time") and "ms of wall-clock time" in text, text


def test_schedstat_counts_what_the_cpu_clock_counts() -> None:
    """The fallback where the process CPU clock is refused: the threads' schedstat, in seconds alike."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.2: pass\ninput()"],
        stdin=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        clock, reading = ProcessMeter(child.pid), meter_module._schedstat(child.pid)
        while clock.cpu_s() < 0.2:
            time.sleep(0.01)
        assert reading is not None and abs(reading() - clock.cpu_s()) < 0.02
    finally:
        child.kill()
        child.wait()


def _flat(ratio: float) -> tuple[Timed, list[Timed]]:
    main = Timed((1024, 1024), ([ratio * REFERENCE_S] * 2, [REFERENCE_S] * 2), (None, None))
    probes = (DEFAULT_PROBES.square, *DEFAULT_PROBES.growing)
    return main, [Timed(p.size, ([ratio * REFERENCE_S] * 2, [REFERENCE_S] * 2), (None, None)) for p in probes]


# ---------------------------------------------------------------------- the row, graded for real
def test_the_reference_against_itself_is_near_one_with_every_figure_filled_in() -> None:
    run = grade("layernorm", "--reference", "--json", "--seed", "3")
    (row,) = run.rows(category="speed")
    assert row["status"] == "pass" and 0.5 <= run.report["speed_ratio"] <= 2.0, row
    assert re.search(r"CPU time .*; peak memory \d+\.\d MiB vs \d+\.\d MiB; on the probes", row["message"]), row


def test_no_reference_text_reaches_the_output_of_a_file_that_prints_every_source_it_sees() -> None:
    run = grade("layernorm", "--file", str(ROOT / "tests/hostile/layernorm/speed_prints_sources.py"), "--json", "--seed", "5")
    (row,) = run.rows(category="speed")
    assert row["status"] == "pass", row
    solution = CATALOG.get("layernorm").solution.read_text(encoding="utf-8")
    output = run.report["output"]["text"]
    telling = [line.strip() for line in solution.splitlines() if len(line.strip()) > 25]
    assert not [line for line in telling if line in output], output[:500]
