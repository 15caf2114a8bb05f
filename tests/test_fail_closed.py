"""Fail closed: a grading that did not run to its end is never a pass, and nothing a worker sends can crash
the grader or run its memory up.

Signals. Where the kernel sandbox is missing (NORMKATA_SANDBOX=guard stands in for such a system), the
candidate's code can signal its parent, the grader; anyone else can signal it anywhere. Either way the
grading is interrupted: the checks it did not finish are error rows, a row says the grading was
interrupted, and `grade` exits with 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), its
--json output still one valid report. Checks that finished before the signal keep their honest result.

Replies. The hostile corpus (tests/hostile/layernorm/reply_*.py) forges replies on the worker's protocol
pipe; here the decoding layers are also tested directly, and the grader's own peak RSS is measured (from
inside the grader process, at exit) while it refuses the nastiest of them.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, TORCH_AVAILABLE, GradeRun, grade

from grader.model import CheckResult, GradeReport, Status
from grader.sandbox import replies
from grader.sandbox.limits import MIN_BUDGET, check_pickle, default_budget
from grader.sandbox.protocol import HEADER, Opaque, ProtocolError, Ref, TensorArg, dumps, loads_untrusted

REFERENCE = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")
FORWARD = "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
GUARD_ONLY = {"NORMKATA_SANDBOX": "guard"}  # as on a system without the kernel sandbox: signals reach the grader
SIGNALS = [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)]
RSS_LIMIT_MIB = 1024

# `grade`, wrapped: at exit, the grader process writes its own peak resident memory (KiB on Linux) to argv[1].
MEASURED_GRADE = (
    "import atexit, resource, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))\n"
    "from grader.cli import main\n"
    "main(sys.argv[1:], prog_name='grade')\n"
)


def _with_forward_prelude(prelude: str) -> str:
    """The reference solution, with `prelude` run at the start of every layernorm_forward call."""
    indented = "".join(f"    {line}\n" for line in prelude.splitlines())
    return REFERENCE.replace(FORWARD, FORWARD + indented)


def _signals_grader_on_call(signame: str, call: int) -> str:
    """A correct solution whose `call`-th forward call signals the grader (through libc, past the audit hook)."""
    return (
        "import ctypes, os, signal\n_calls = []\n"
        + _with_forward_prelude(
            f"_calls.append(1)\nif len(_calls) == {call}:\n    ctypes.CDLL(None).kill(os.getppid(), signal.{signame})"
        )
    )


def _measured(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 120) -> tuple[subprocess.Popen, Path]:
    """Start `grade ARGS` wrapped by MEASURED_GRADE; returns the process and where its peak RSS will be."""
    rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"normkata-rss-{os.getpid()}-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-c", MEASURED_GRADE, str(rss_file), *args], cwd=cwd, env={**os.environ, **(env or {}), "COLUMNS": "160"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return process, rss_file


def _finish(process: subprocess.Popen, rss_file: Path, started: float, timeout: float = 120) -> tuple[GradeRun, float]:
    stdout, stderr = process.communicate(timeout=timeout)
    kib = int(rss_file.read_text())
    rss_file.unlink()
    return GradeRun(process.returncode, stdout, stderr, time.monotonic() - started), kib / 1024


def grade_measured(*args: str, env: dict | None = None) -> tuple[GradeRun, float]:
    """`grade ARGS` and the grader process's own peak RSS in MiB."""
    started = time.monotonic()
    return _finish(*_measured(*args, env=env), started)


def _assert_interrupted(run: GradeRun, signame: str, status: int) -> dict:
    """Exit 128 + n, one valid report, never a pass; every passing row finished before the first unfinished one."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == status, (run.code, run.stderr[-2000:])
    report = json.loads(run.stdout)
    assert report["interrupted"] == signame
    rows = report["checks"]
    assert rows[0]["status"] == "error" and f"the grader received {signame}" in rows[0]["message"]
    assert report["passed"] < report["total"] == len(rows)
    statuses = [r["status"] for r in rows[1:]]
    unfinished = [i for i, r in enumerate(rows[1:]) if r["message"].startswith("not run: grading was interrupted")]
    if unfinished:
        assert "pass" not in statuses[unfinished[0] :], "a check after the interruption passed"
    return report


# ----------------------------------------------------------------------------- signals from the worker
@pytest.mark.parametrize(("signame", "status"), SIGNALS)
def test_a_worker_that_signals_the_grader_keeps_only_what_it_earned(candidate_file, signame: str, status: int) -> None:
    path = candidate_file(_signals_grader_on_call(signame, call=3))
    run, rss = grade_measured("layernorm", "--file", str(path), "--seed", "5", "--json", "--no-speed", env=GUARD_ONLY)
    report = _assert_interrupted(run, signame, status)
    assert report["passed"] == 2, "the two checks whose forward calls came before the signal pass; nothing else"
    assert rss < RSS_LIMIT_MIB


def test_a_signal_while_the_file_is_imported_is_an_interruption(candidate_file) -> None:
    path = candidate_file("import ctypes, os, signal\nctypes.CDLL(None).kill(os.getppid(), signal.SIGINT)\n" + REFERENCE)
    run = grade("layernorm", "--file", str(path), "--seed", "5", "--json", "--no-speed", env=GUARD_ONLY)
    report = _assert_interrupted(run, "SIGINT", 130)
    assert report["passed"] == 0


def test_the_scorecard_of_an_interrupted_grading_says_so(candidate_file) -> None:
    path = candidate_file(_signals_grader_on_call("SIGTERM", call=1))
    run = grade("layernorm", "--file", str(path), "--seed", "5", "--no-speed", env=GUARD_ONLY)
    assert run.code == 143 and "grading was interrupted: the grader received SIGTERM" in run.stdout
    assert "Every check passes" not in run.stdout


# ----------------------------------------------------------------------------- signals from outside, mid-run
def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it has just ended
        return b""


def _wait_for(found, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the grading to get under way")


SLOW = _with_forward_prelude("import time; time.sleep(0.1)")  # a correct solution, slow enough to be caught mid-run
needs_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the grader's processes in /proc")


@needs_proc
@pytest.mark.parametrize(("signame", "status"), SIGNALS)
def test_a_signal_to_the_grader_mid_run_is_an_interruption(candidate_file, signame: str, status: int) -> None:
    path = candidate_file(SLOW)
    started = time.monotonic()
    process, rss_file = _measured("layernorm", "--file", str(path), "--seed", "5", "--json", "--no-speed")
    _wait_for(lambda: _children(process.pid))  # the worker is up: the grading is under way
    time.sleep(1.5)
    process.send_signal(getattr(signal, signame))
    run, rss = _finish(process, rss_file, started)
    _assert_interrupted(run, signame, status)
    assert rss < RSS_LIMIT_MIB


@needs_proc
def test_grade_batch_never_counts_an_interrupted_file(tmp_path: Path) -> None:
    """One file's grading process is terminated mid-run: that file fails, the honest one beside it passes."""
    slow, honest = tmp_path / "slow.py", tmp_path / "honest.py"
    slow.write_text(SLOW, encoding="utf-8")
    honest.write_text(REFERENCE, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", "layernorm", str(slow), str(honest), "--json", "-", "--jobs", "1",
         "--seed", "5", "--no-speed", "--allow-unsandboxed"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def grader() -> int | None:
        """The forked grading process, once the zygote is up (before that, a fork may be a sandbox probe)."""
        commands = {pid: _cmdline(pid) for pid in _children(process.pid)}
        forks = [pid for pid, line in commands.items() if b"grader\x00batch\x00" in line]
        zygote = any(b"grader.sandbox.zygote" in line for line in commands.values())
        return forks[0] if zygote and forks else None

    pid = _wait_for(grader)
    time.sleep(2.0)  # its checks are under way (its worker comes from the zygote, not from it)
    os.kill(pid, signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr[-2000:]
    results = {Path(r["file"]).name: r for r in json.loads(stdout)["results"]}
    interrupted = results["slow.py"]["report"]
    assert interrupted["interrupted"] == "SIGTERM" and interrupted["passed"] < interrupted["total"]
    assert results["honest.py"]["report"]["passed"] == results["honest.py"]["report"]["total"]


def test_session_report_stops_at_an_interrupted_grading(tmp_path: Path) -> None:
    """Nothing is recorded and no report is written: an interviewer never reads a partial score as a final one."""
    env = {"NORMKATA_HOME": str(tmp_path / "home"), **GUARD_ONLY}
    workspace = tmp_path / "ws"
    start = grade("session", "start", "--candidate", "Eve", "--problems", "layernorm", "--dir", str(workspace),
                  "--allow-unsandboxed", env=env)  # fmt: skip
    assert start.code == 0, start.stderr
    (workspace / "layernorm" / "layernorm.py").write_text(_signals_grader_on_call("SIGINT", call=1), encoding="utf-8")
    report = tmp_path / "report.md"
    run = grade("session", "report", "--workspace", str(workspace), "--output", str(report), env=env)
    assert run.code == 130 and "grading layernorm was interrupted; no report written" in run.stderr, run.stderr
    assert not report.exists() and "Traceback" not in run.stderr


# ----------------------------------------------------------------------------- replies: end to end, with RSS
NASTY_REPLIES = ["reply_header_100gib", "reply_memo_bomb", "reply_set_bomb", "reply_memo_index_bomb", "reply_deep_nesting", "reply_numpy_reconstruct"]


@pytest.mark.parametrize("stem", NASTY_REPLIES)
def test_the_grader_refuses_nasty_replies_within_1_gib(stem: str) -> None:
    path = ROOT / "tests" / "hostile" / "layernorm" / f"{stem}.py"
    run, rss = grade_measured("layernorm", "--file", str(path), "--seed", "5", "--json", "--no-speed")
    assert run.code == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert json.loads(run.stdout)["passed"] == 0
    assert rss < RSS_LIMIT_MIB, f"the grader peaked at {rss:.0f} MiB"
    print(f"{stem}: grader peak RSS {rss:.0f} MiB")


# ----------------------------------------------------------------------------- decoding, directly
def _body(value) -> bytes:
    return dumps(value)[HEADER.size :]


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (_body([np.zeros(1_000_000)] * 10_000), "too large: read as a check reads it"),
        (b"\x80\x05" + b"]" * 100_001 + b"a" * 100_000 + b".", "too deep"),
        (pickle.dumps((lambda x: (x.append(x), x)[1])([]), protocol=5), "too deep"),
        (b"\x80\x05]" + b"\x8fa" * 2_000_000 + b".", "decoding it would take over"),
        (b"\x80\x05Nr" + (2**27).to_bytes(4, "little") + b".", "decoding it would take over 2,048 MiB"),
        (pickle.dumps(np.zeros(3), protocol=2), "not a pickle of plain data \\(opcode BUILD"),
        (pickle.dumps({1, 2}, protocol=5), "holds a set, which is not plain data"),
        (pickle.dumps(Opaque("T", Ref("x")), protocol=5), "malformed Ref"),
        (_body([1, 2, 3])[:-3], "truncated"),
    ],
    ids=["memo-repeat", "deep", "cycle", "set-bomb", "memo-index", "numpy-reduce", "set", "forged-ref", "truncated"],
)
def test_decoding_refuses_what_would_hurt_the_grader(payload: bytes, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        loads_untrusted(payload, MIN_BUDGET)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix still crosses the wire
def test_arrays_cross_as_raw_bytes_and_come_back_the_same() -> None:
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    value = (fortran, np.arange(10)[::3], np.matrix([[1, 2]]), np.float32(2.5), np.bool_(True), np.array(7), np.zeros((0, 3), ">f4"))
    decoded = loads_untrusted(_body(value))
    assert all(type(a) is type(b) and np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(decoded, value))
    assert decoded[0].flags.f_contiguous and decoded[0].flags.writeable


def test_the_scan_is_bounded_by_the_clock() -> None:
    with pytest.raises(TimeoutError):
        check_pickle(b"\x80\x05]" + b"Na" * 100_000 + b".", 2**40, deadline=time.monotonic() - 1)


def test_a_budget_grows_with_the_request_arrays() -> None:
    big = np.zeros(2**24)  # 128 MiB
    assert default_budget({"args": (1, "x")}) == MIN_BUDGET
    assert default_budget({"args": (big,), "inputs": {"x": TensorArg(big)}}) == 8 * 2 * big.nbytes


# ----------------------------------------------------------------------------- reply shapes, directly
@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ([], "a reply should be a dict with 'ok'"),
        ({"ok": 1}, "a reply should be a dict with 'ok'"),
        ({"ok": False}, "'raised' should be a dict"),
        ({"ok": False, "raised": {"type": "E", "message": "x" * 3000}}, r"'message'\] should be a string of at most 2000"),
        ({"ok": False, "raised": {"type": "E", "message": "", "frames": [{"line": "3"}]}}, r"\['line'\] should be an integer"),
    ],
)
def test_every_reply_needs_a_well_formed_envelope(reply, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        replies.envelope(reply)


@pytest.mark.parametrize(
    ("functions", "says"),
    [
        ({"f": {"callable": "yes"}}, r"\['callable'\] should be True or False"),
        ({"f": {"callable": True, "params": [["x", 9, False, ""]]}}, "a parameter kind"),
        ({"f": {"callable": True, "params": [["x", 1, False]]}}, "a list of 4 items"),
        ({"f": {"callable": False}}, "has no 'type'"),
        ({"g": None}, r"signatures of \['g'\], which were not asked for"),
    ],
)
def test_signatures_are_checked_before_preflight_reads_them(functions: dict, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        replies.check(replies.load(["f"]), {"ok": True, "functions": functions})


def test_jacobians_must_pair_up() -> None:
    good = {"ok": True, "names": ["input 0"], "analytical": [np.zeros((2, 3))], "numerical": [np.zeros((2, 3))], "gradcheck": True}
    replies.check(replies.TORCH["jacobians"], good)
    with pytest.raises(ProtocolError, match="1 names for 1 autograd and 0 numerical"):
        replies.check(replies.TORCH["jacobians"], {**good, "numerical": []})
    with pytest.raises(ProtocolError, match=r"are \(2, 3\) and \(3, 2\)"):
        replies.check(replies.TORCH["jacobians"], {**good, "numerical": [np.zeros((3, 2))]})


@pytest.mark.skipif(not TORCH_AVAILABLE, reason="the PyTorch track needs torch: make install-torch")
def test_every_torch_action_has_a_reply_shape() -> None:
    from grader.sandbox.torch_ops import ACTIONS

    assert set(replies.TORCH) == set(ACTIONS)


# ----------------------------------------------------------------------------- the report
def test_an_interrupted_report_survives_json_and_never_passes() -> None:
    report = GradeReport("layernorm", "", "f.py", 1, [CheckResult("the grading ran to the end", "load", Status.ERROR)], interrupted="SIGTERM")
    again = GradeReport.from_json(json.loads(json.dumps(report.to_json())))
    assert again.interrupted == "SIGTERM" and not again.all_passed


def test_a_hand_in_too_large_to_parse_safely_is_refused_before_it_is_read_whole(candidate_file) -> None:
    """A few MiB of source make the grader's own parse take gigabytes and minutes, before any worker limit."""
    padding = "x = [\n" + "    1,\n" * 200_000 + "]\n"  # 1.2 MiB of valid Python
    path = candidate_file((ROOT / "solutions" / "layernorm.py").read_text() + "\nif False:\n" + "    " + padding.replace("\n", "\n    "))
    run = grade("layernorm", "--file", str(path), "--no-speed", "--json")
    assert run.code == 1 and run.report["passed"] == 0
    assert "larger than 1024 KiB" in run.report["checks"][0]["message"]


def test_a_narrowed_grading_leaves_rows_out_and_passes_none() -> None:
    """grader.core.plugin.Narrowed, for the mutation tests' batches: a category outside `only` never runs; a
    category runs until one of its rows has failed and a failing row has said the pattern, and then its other
    rows are left off the scorecard (never counted as passed: they are not there)."""
    from grader.core.plugin import Narrowed

    said = CheckResult("backward vs reference · 3×7", "hidden", Status.FAIL, 0.0, "Looks like the variance used ddof=1")
    example = CheckResult("example 1: y", "examples", Status.PASS, 0.0, "")
    narrowed = Narrowed(("examples", "hidden"), "ddof=1")
    assert narrowed.leaves_out("gradcheck", [])
    assert not narrowed.leaves_out("hidden", [example])
    assert narrowed.leaves_out("hidden", [example, said])
    assert not narrowed.leaves_out("examples", [example, said])  # no example has failed yet
    assert not Narrowed(("hidden",), "eps outside the square root").leaves_out("hidden", [said])  # not said yet
    assert Narrowed(("hidden",), "").leaves_out("hidden", [said])
    assert not Narrowed().leaves_out("hidden", [said])  # nothing asked: every row runs


def test_a_conftest_planted_beside_a_suite_is_never_loaded(tmp_path: Path) -> None:
    """pytest would run a conftest.py in a problem's folder inside the grader, where one that rewrites the rows
    scored the stub 39/39; the grader's pytest loads none (its suites keep their helpers in hidden/ as modules).
    The candidate's code cannot write there (tests/hostile/layernorm/plants_conftest.py); this is the next line."""
    for part in ("grader", "problems/layernorm", "solutions"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("problems/layernorm", "problems/layernorm/hidden"):
        (tmp_path / folder / "conftest.py").write_text(
            "from grader.core.plugin import GradingPlugin\n"
            "_results = GradingPlugin.results\n\n\n"
            "def _all_pass(self, *args):\n"
            "    rows = _results(self, *args)\n"
            "    for row in rows:\n"
            "        row.status, row.message = type(row.status)('pass'), ''\n"
            "    return rows\n\n\n"
            "GradingPlugin.results = _all_pass\n",
            encoding="utf-8",
        )
    stub = tmp_path / "problems" / "layernorm" / "layernorm.py"
    run = grade("layernorm", "--file", str(stub), "--json", "--no-speed", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert run.code == 1 and run.report["passed"] == 0, run.stdout[-2000:] + run.stderr[-2000:]
