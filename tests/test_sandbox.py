"""The boundary, for what the hostile corpus (tests/hostile/) cannot express as a file with headers:
raw bytes (encodings, line endings), side effects on the file system, and concurrent runs."""

from __future__ import annotations

from helpers import ROOT, grade

REFERENCE = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")
# The speed row times the module the worker has already loaded: how the file was read (its line endings, its
# folder) cannot reach it. The tests of reading alone leave it out; the others keep it.
NO_SPEED = "--no-speed"


def _grade(path, *extra: str):
    return grade("layernorm", "--file", str(path), "--seed", "9", "--json", *extra)


def test_non_utf8_and_empty_files(candidate_file) -> None:
    latin = candidate_file("", name="latin.py", raw=("# café\n" + REFERENCE).encode("latin-1"))
    run = _grade(latin)
    assert "not valid UTF-8" in run.rows(category="load")[0]["message"]
    run = _grade(candidate_file("\n\n", name="empty.py"))
    assert "the file is empty" in run.rows(category="load")[0]["message"]


def test_crlf_line_endings_are_fine(candidate_file) -> None:
    run = _grade(candidate_file("", name="crlf.py", raw=REFERENCE.replace("\n", "\r\n").encode()), NO_SPEED)
    assert run.code == 0


def test_a_dataclass_under_postponed_annotations_loads(candidate_file) -> None:
    """@dataclass with `from __future__ import annotations` looks its module up in sys.modules while the file
    runs: the worker registers the file there, as an import does (an honest file scored 0 before)."""
    config = "from __future__ import annotations\n\nfrom dataclasses import dataclass\n\n\n@dataclass\nclass Config:\n    eps: float = 1e-5\n\n\n"
    run = _grade(candidate_file(config + REFERENCE.replace("from __future__ import annotations\n", "")), NO_SPEED)
    assert run.code == 0, run.rows(category="load")


def test_opaque_cache_object_reaches_backward(candidate_file) -> None:
    closure_cache = REFERENCE.replace(
        "    return y, (x_hat, rstd, gamma)", "    saved = (x_hat, rstd, gamma)\n    return y, (lambda: saved)"
    ).replace("    x_hat, rstd, gamma = cache\n", "    x_hat, rstd, gamma = cache()\n")
    run = _grade(candidate_file(closure_cache))
    assert run.code == 0, [r for r in run.rows() if r["status"] != "pass"]


def test_grading_leaves_no_bytecode_beside_the_file(candidate_file) -> None:
    path = candidate_file(REFERENCE)
    run = _grade(path, NO_SPEED)
    assert run.code == 0 and not (path.parent / "__pycache__").exists()


def test_two_gradings_of_one_file_at_once_do_not_interfere(candidate_file) -> None:
    from helpers import grade_many

    path = str(candidate_file(REFERENCE))
    runs = grade_many([("layernorm", "--file", path, "--seed", str(seed), "--json") for seed in (1, 2)])
    assert [run.code for run in runs] == [0, 0]
    assert [run.report["seed"] for run in runs] == [1, 2]


def test_gradings_in_one_process_share_no_results() -> None:
    """Rows that share work (an example's run, a training run) keep it per grading run, never in module state:
    `grade session report` grades several files in one process, and a stale result would be a false pass."""
    import subprocess
    import sys

    script = (
        "import dataclasses\n"
        "from grader.catalog import Catalog\n"
        "from grader.core.runner import GradeOptions, grade\n"
        "problem = Catalog().get('fc_net_norm')\n"
        "options = GradeOptions(seed=3, speed=False)\n"
        "first, second = grade(problem, problem.solution, options), grade(problem, problem.stub, options)\n"
        "print(first.passed, first.total, second.passed, [c.message[:60] for c in second.checks if c.category == 'examples'][:1])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    passed, total, stub_passed, messages = out.stdout.split(" ", 3)
    assert passed == total and stub_passed == "0", out.stdout + out.stderr
    assert "not implemented yet" in messages


def test_a_call_can_bring_back_one_item_of_its_result(candidate_file) -> None:
    """`select` brings back one item of a returned tuple or list (a gradient check's loss without its grads);
    anything else comes back whole, unselected, and no candidate __getitem__ is run to pick an item."""
    from grader.core.session import WorkerSession
    from grader.sandbox.client import WorkerConfig

    path = candidate_file(
        "def pair(x):\n    return x * 2, {'g': x}\n\n\ndef scalar(x):\n    return x\n\n\n"
        "class Guarded(tuple):\n    def __getitem__(self, i):\n        raise RuntimeError('indexed')\n\n\n"
        "def guarded(x):\n    return Guarded((x, x))\n"
    )
    session = WorkerSession(path, None, ["pair", "scalar", "guarded"], timeout=10, config=WorkerConfig())
    try:
        assert session.load().ok
        picked = [session.call(fn, (3.0,), {}, select=i) for fn, i in (("pair", 0), ("pair", 1), ("pair", 2), ("scalar", 0), ("guarded", 0))]
        assert [(r.value, r.selected) for r in picked] == [
            (6.0, True), ({"g": 3.0}, True), ((6.0, {"g": 3.0}), False), (3.0, False), ((3.0, 3.0), False),
        ]  # fmt: skip
        whole = session.call("pair", (3.0,), {})
        assert (whole.value, whole.selected) == ((6.0, {"g": 3.0}), False)
    finally:
        session.close()
