"""The trust boundary: whatever the candidate file does, `grade` ends in bounded time with honest rows."""

from __future__ import annotations

import time

from helpers import ROOT, grade

REFERENCE = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")


def _grade(path, *extra: str):
    started = time.monotonic()
    run = grade("layernorm", "--file", str(path), "--seed", "9", "--json", *extra)
    return run, time.monotonic() - started


def _with_forward_prefix(line: str) -> str:
    return REFERENCE.replace(
        "def layernorm_forward(x, gamma, beta, eps=1e-5):\n", f"def layernorm_forward(x, gamma, beta, eps=1e-5):\n    {line}\n"
    )


def test_infinite_loop_times_out_once_then_skips(candidate_file) -> None:
    run, seconds = _grade(candidate_file(_with_forward_prefix("while True: pass")), "--timeout", "1")
    assert run.code == 1 and seconds < 15
    errors = run.rows(status="error")
    assert len(errors) == 1 and "did not return within 1 s" in errors[0]["message"]
    skipped = run.rows(status="skip")
    assert skipped and all("timed out" in row["message"] for row in skipped)
    assert not run.rows(status="pass")


def test_os_exit_inside_a_function(candidate_file) -> None:
    run, _ = _grade(candidate_file(_with_forward_prefix("import os; os._exit(3)")))
    assert run.code == 1
    assert "exited with status 3" in run.rows(status="error")[0]["message"]


def test_segfault_is_a_failing_row(candidate_file) -> None:
    run, _ = _grade(candidate_file(_with_forward_prefix("import ctypes; ctypes.string_at(0)")))
    assert run.code == 1
    assert "SIGSEGV" in run.rows(status="error")[0]["message"]


def test_sys_exit_at_import(candidate_file) -> None:
    run, _ = _grade(candidate_file("import sys\nsys.exit(0)\n" + REFERENCE))
    assert run.code == 1
    load = run.rows(category="load")
    assert load and "sys.exit" in load[0]["message"]
    assert all(row["status"] == "skip" for row in run.rows() if row["category"] != "load")


def test_patching_numpy_cannot_turn_wrong_into_right(candidate_file) -> None:
    tamper = """
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import builtins; builtins.abs = lambda v: 0
"""
    wrong = REFERENCE.replace("var = np.einsum", "var = 1.1 * np.einsum")
    run, _ = _grade(candidate_file(tamper + wrong))
    assert run.code == 1
    assert run.rows(category="hidden", status="fail")


def test_syntax_error_names_the_line(candidate_file) -> None:
    run, _ = _grade(candidate_file("import numpy as np\n\ndef layernorm_forward(x, gamma, beta, eps=1e-5)\n    return x\n"))
    load = run.rows(category="load")[0]
    assert run.code == 1 and load["status"] == "error"
    assert "syntax error on line 3" in load["message"]


def test_missing_function_is_named(candidate_file) -> None:
    run, _ = _grade(candidate_file(REFERENCE.split("def layernorm_backward")[0]))
    assert "layernorm_backward is missing" in run.rows(category="load")[0]["message"]


def test_signature_without_eps_is_explained(candidate_file) -> None:
    run, _ = _grade(candidate_file(REFERENCE.replace("def layernorm_forward(x, gamma, beta, eps=1e-5):", "def layernorm_forward(x, gamma, beta):\n    eps = 1e-5")))
    message = run.rows(category="load")[0]["message"]
    assert "no parameter 'eps'" in message and "layernorm_forward(x, gamma, beta, eps=1e-5)" in message


def test_forbidden_import_is_a_constraint_violation(candidate_file) -> None:
    run, _ = _grade(candidate_file("import torch\n" + REFERENCE))
    assert "constraint violation on line 1: imports torch" in run.rows(category="load")[0]["message"]


def test_non_utf8_and_empty_files(candidate_file) -> None:
    latin = candidate_file("", name="latin.py", raw=("# café\n" + REFERENCE).encode("latin-1"))
    run, _ = _grade(latin)
    assert "not valid UTF-8" in run.rows(category="load")[0]["message"]
    run, _ = _grade(candidate_file("\n\n", name="empty.py"))
    assert "the file is empty" in run.rows(category="load")[0]["message"]


def test_crlf_line_endings_are_fine(candidate_file) -> None:
    run, _ = _grade(candidate_file("", name="crlf.py", raw=REFERENCE.replace("\n", "\r\n").encode()))
    assert run.code == 0


def test_opaque_cache_object_reaches_backward(candidate_file) -> None:
    closure_cache = REFERENCE.replace(
        "    return y, (x_hat, rstd, gamma)", "    saved = (x_hat, rstd, gamma)\n    return y, (lambda: saved)"
    ).replace("    x_hat, rstd, gamma = cache\n", "    x_hat, rstd, gamma = cache()\n")
    run, _ = _grade(candidate_file(closure_cache))
    assert run.code == 0, [r for r in run.rows() if r["status"] != "pass"]


def test_wrong_return_types_get_specific_messages(candidate_file) -> None:
    as_list = REFERENCE.replace("    return y, (x_hat, rstd, gamma)", "    return y.tolist(), (x_hat, rstd, gamma)")
    run, _ = _grade(candidate_file(as_list))
    assert any("expected a NumPy array, got a list" in r["message"] for r in run.rows(status="fail"))
    only_y = REFERENCE.replace("    return y, (x_hat, rstd, gamma)", "    return y")
    run, _ = _grade(candidate_file(only_y, name="only_y.py"))
    assert any("must return (y, cache); it returned an array" in r["message"] for r in run.rows(status="fail"))


def test_reference_and_hidden_suites_are_off_limits(candidate_file) -> None:
    steal = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("ref", %r)
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
layernorm_forward, layernorm_backward = ref.layernorm_forward, ref.layernorm_backward
""" % str(ROOT / "solutions" / "layernorm.py")
    run, _ = _grade(candidate_file(steal))
    assert run.code == 1 and "off limits" in run.rows(category="load")[0]["message"]
    peek = "open(%r).read()\n" % str(ROOT / "problems" / "layernorm" / "hidden" / "test_layernorm.py")
    run, _ = _grade(candidate_file(peek + REFERENCE, name="peek.py"))
    assert run.code == 1 and "off limits" in run.rows(category="load")[0]["message"]
    shell = _with_forward_prefix("import subprocess; subprocess.run(['cat', 'solutions/layernorm.py'])")
    run, _ = _grade(candidate_file(shell, name="shell.py"))
    assert run.code == 1 and any("starting other programs" in r["message"] for r in run.rows(status="fail"))


def test_dynamic_forbidden_import_is_reported(candidate_file) -> None:
    run, _ = _grade(candidate_file(_with_forward_prefix("__import__('torch')")))
    assert any("importing torch is a constraint violation" in r["message"] for r in run.rows(status="fail"))


def test_memory_bomb_becomes_a_row(candidate_file) -> None:
    run, seconds = _grade(candidate_file(_with_forward_prefix("big = np.ones((1 << 40,))")), "--memory-mb", "1024")
    assert run.code == 1 and seconds < 30
    assert "ran out of memory: it tried to use more than 1 GiB" in run.rows(status="fail")[0]["message"]


def test_keyboard_interrupt_from_candidate_code(candidate_file) -> None:
    run, _ = _grade(candidate_file(_with_forward_prefix("raise KeyboardInterrupt")))
    assert run.code == 1 and "raised KeyboardInterrupt" in run.rows(status="fail")[0]["message"]


def test_grading_leaves_no_bytecode_beside_the_file(candidate_file) -> None:
    path = candidate_file(REFERENCE)
    run, _ = _grade(path)
    assert run.code == 0 and not (path.parent / "__pycache__").exists()


def test_two_gradings_of_one_file_at_once_do_not_interfere(candidate_file) -> None:
    from helpers import grade_many

    path = str(candidate_file(REFERENCE))
    runs = grade_many([("layernorm", "--file", path, "--seed", str(seed), "--json") for seed in (1, 2)])
    assert [run.code for run in runs] == [0, 0]
    assert [run.report["seed"] for run in runs] == [1, 2]
