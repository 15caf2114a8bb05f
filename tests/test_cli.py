"""The `grade` command as users and scripts meet it: exit codes, errors, --json, --seed replay."""

from __future__ import annotations

import json

import pytest
from helpers import ROOT, USERS_PYTEST_SETTINGS, grade

WRONG_VARIANCE = """
import numpy as np

def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, ddof=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return xhat * gamma + beta, (xhat, var, gamma, eps)

def layernorm_backward(dy, cache):
    xhat, var, gamma, eps = cache
    g = gamma.reshape(1, -1)
    dxhat = dy * g
    dx = (dxhat - dxhat.mean(1, keepdims=True) - xhat * (dxhat * xhat).mean(1, keepdims=True)) / np.sqrt(var + eps)
    return dx, (dy * xhat).sum(0).reshape(gamma.shape), dy.sum(0).reshape(gamma.shape)
"""


def test_help_teaches_the_main_commands() -> None:
    run = grade("--help")
    assert run.code == 0
    for text in ("grade layernorm", "--seed", "--reference", "--json", "grade list", "Exit status"):
        assert text in run.stdout


def test_run_help_lists_options() -> None:
    run = grade("layernorm", "--help")
    assert run.code == 0 and "--timeout" in run.stdout and "--file" in run.stdout


def test_list_shows_the_catalog() -> None:
    run = grade("list")
    assert run.code == 0
    assert "layernorm" in run.stdout and "batchnorm" in run.stdout and "medium" in run.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("layernrom",), "Did you mean: layernorm"),
        (("layernorm", "--file", "no/such/file.py"), "does not exist"),
        (("layernorm", "--file", "problems"), "is a directory"),
        (("layernorm", "--seed", "-1"), "--seed"),
        (("layernorm", "--timeout", "0"), "--timeout"),
        (("layernorm", "--frobnicate"), "No such option"),
        (("layernorm", "--reference", "--file", "solutions/layernorm.py"), "mutually exclusive"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: tuple, says: str) -> None:
    run = grade(*args)
    assert run.code == 2, run.stdout + run.stderr
    assert says in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert " run " not in run.stderr, "usage lines name `grade PROBLEM`, the command users type, not `grade run`"


def test_a_file_that_cannot_load_shows_one_line_for_the_checks_it_kept_from_running(candidate_file) -> None:
    path = candidate_file("def layernorm_forward(x:\n")
    card = grade("layernorm", "--file", str(path), "--no-speed")
    assert card.code == 1 and "syntax error on line 1" in card.stdout
    rows = grade("layernorm", "--file", str(path), "--no-speed", "--json").rows()
    waiting = sum(r["status"] == "skip" for r in rows)
    assert waiting > 30 and len(rows) == waiting + 1, "--json keeps every row"
    assert f"{waiting} checks" in card.stdout and card.stdout.count("could not be loaded") == 1, card.stdout


def test_exit_status_and_json_schema(candidate_file) -> None:
    run = grade("layernorm", "--file", str(candidate_file(WRONG_VARIANCE)), "--seed", "5", "--json")
    assert run.code == 1
    report = json.loads(run.stdout)  # exactly one JSON document, nothing else on stdout
    assert {"problem", "file", "seed", "passed", "total", "duration_s", "speed_ratio", "checks"} <= set(report)
    assert report["problem"] == "layernorm" and report["seed"] == 5
    assert 0 < report["passed"] < report["total"] == len(report["checks"])
    for check in report["checks"]:
        assert set(check) >= {"name", "category", "status", "duration_s", "message"}
        assert check["status"] in ("pass", "fail", "error", "skip")
        assert check["category"] in ("load", "examples", "contract", "hidden", "gradcheck", "speed")
    assert any("ddof=1" in c["message"] for c in report["checks"] if c["status"] == "fail")


def test_seed_replays_identical_results_whatever_the_users_pytest_settings(candidate_file) -> None:
    path = str(candidate_file(WRONG_VARIANCE))
    # The speed row is left out: it is a measurement, not drawn from the seed, and `outcome` never reads it.
    first, second = (
        grade("layernorm", "--file", path, "--seed", "77", "--json", "--no-speed", env=env)
        for env in ({}, USERS_PYTEST_SETTINGS)
    )

    def outcome(run):
        return [(c["name"], c["status"], c["message"]) for c in run.report["checks"] if c["category"] != "speed"]

    assert outcome(first) == outcome(second)
    other = grade("layernorm", "--file", path, "--seed", "78", "--json", "--no-speed")
    assert outcome(other) != outcome(first), "a different seed should draw different hidden cases"


def test_default_seed_is_shown_and_replayable() -> None:
    # Without the speed row: a measurement, which no seed draws or replays.
    run = grade("batchnorm", "--reference", "--json", "--no-speed")
    seed = run.report["seed"]
    assert isinstance(seed, int) and seed >= 0
    scorecard = grade("batchnorm", "--reference", "--seed", str(seed), "--no-speed")
    assert f"seed {seed}" in scorecard.stdout and scorecard.code == 0


def test_candidate_output_never_corrupts_json(candidate_file) -> None:
    source = (ROOT / "solutions" / "layernorm.py").read_text()
    noisy = source.replace(
        "def layernorm_forward(x, gamma, beta, eps=1e-5):\n",
        "def layernorm_forward(x, gamma, beta, eps=1e-5):\n"
        "    print('{\"passed\": 999}' * 1000)\n    import sys; sys.stderr.write('noise\\n' * 1000)\n",
    )
    run = grade("layernorm", "--file", str(candidate_file(noisy)), "--seed", "1", "--json")
    report = json.loads(run.stdout)
    assert run.code == 0 and report["passed"] == report["total"]
    assert report["output"]["total_bytes"] > 1_000_000 and report["output"]["truncated"]


def test_scorecard_shows_what_the_candidate_printed(candidate_file) -> None:
    source = (ROOT / "solutions" / "layernorm.py").read_text().replace(
        "    d = x.shape[1]\n", "    d = x.shape[1]\n    print('debugging row count', x.shape[0])\n", 1
    )
    run = grade("layernorm", "--file", str(candidate_file(source)), "--seed", "1")
    assert run.code == 0
    assert "your code printed" in run.stdout and "debugging row count" in run.stdout


def test_paths_with_spaces_and_non_ascii(tmp_path) -> None:
    folder = tmp_path / "my kata — été"
    folder.mkdir()
    path = folder / "layer norm.py"
    path.write_text((ROOT / "solutions" / "layernorm.py").read_text(), encoding="utf-8")
    # Without the speed row: it times the module the worker has already loaded, wherever its file lies.
    run = grade("layernorm", "--file", str(path), "--seed", "2", "--json", "--no-speed")
    assert run.code == 0, run.stdout + run.stderr
