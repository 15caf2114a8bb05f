"""`grade batch`, `grade reset`, and the PyTorch track's behaviour when torch is not installed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from helpers import ROOT, USERS_PYTEST_SETTINGS, grade, without_module

REFERENCE = ROOT / "solutions" / "layernorm.py"
HANGS = "def layernorm_forward(x, gamma, beta, eps=1e-5):\n    while True:\n        pass\n\n\ndef layernorm_backward(dout, cache):\n    while True:\n        pass\n"


def _submissions(tmp_path: Path) -> Path:
    """A class's hand-in folder: one folder per student, each holding layernorm.py."""
    root = tmp_path / "submissions"
    for name, text in [("ada", REFERENCE.read_text()), ("bob", REFERENCE.read_text()), ("cy", HANGS), ("dee", "def broken(:\n")]:
        (root / name).mkdir(parents=True)
        (root / name / "layernorm.py").write_text(text)
    return root


def test_batch_grades_every_submission_and_one_hang_spoils_nothing(tmp_path) -> None:
    root = _submissions(tmp_path)
    run = grade("batch", "layernorm", str(root), "--json", "-", "--seed", "5", "--no-speed", "--timeout", "1")
    assert run.code == 1, run.stderr
    results = {Path(r["file"]).parent.name: r for r in json.loads(run.stdout)["results"]}
    assert set(results) == {"ada", "bob", "cy", "dee"}
    for name in ("ada", "bob"):
        report = results[name]["report"]
        assert report["passed"] == report["total"] == 39 and report["seed"] == 5
    hanging = results["cy"]["report"]["checks"]
    assert any("did not return within 1 s" in row["message"] for row in hanging)
    assert results["cy"]["report"]["passed"] == 0
    broken = results["dee"]["report"]["checks"]
    assert broken[0]["name"] == "load the file" and "line 1" in broken[0]["message"]


def test_batch_leaderboard_csv_and_json_files(tmp_path) -> None:
    root = _submissions(tmp_path)
    shutil.rmtree(root / "cy")
    run = grade("batch", "layernorm", str(root / "ada" / "layernorm.py"), str(root / "dee"), "--seed", "5", "--no-speed", cwd=tmp_path)
    assert run.code == 1
    assert "layernorm: 2 submissions" in run.stdout and "1 of 2 pass every check" in run.stdout
    rows = list(csv.DictReader((tmp_path / "normkata-batch-layernorm.csv").open()))
    assert [r["rank"] for r in rows] == ["1", "2"] and rows[0]["file"].endswith("ada/layernorm.py") and rows[0]["score"] == "1.0000"
    assert json.loads((tmp_path / "normkata-batch-layernorm.json").read_text())["problem"] == "layernorm"


def test_batch_rejects_paths_without_submissions(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    run = grade("batch", "layernorm", str(tmp_path / "empty"))
    assert run.code == 2 and "no layernorm.py" in run.stderr


def _private_root(tmp_path: Path) -> Path:
    """A copy of one problem's tree, so `reset` can be tried without touching this checkout."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "problems" / "layernorm", root / "problems" / "layernorm")
    (root / "solutions").mkdir()
    shutil.copy(REFERENCE, root / "solutions" / "layernorm.py")
    return root


def test_reset_restores_the_stub_and_keeps_a_backup(tmp_path) -> None:
    root = _private_root(tmp_path)
    env = {"NORMKATA_ROOT": str(root)}
    stub = root / "problems" / "layernorm" / "layernorm.py"
    stub.write_text("# my work in progress\n")
    run = grade("reset", "layernorm", env=env)
    assert run.code == 0, run.stderr
    (backup,) = (root / "problems" / "layernorm" / "backups").glob("layernorm-*.py")
    assert backup.read_text() == "# my work in progress\n" and backup.name in run.stdout
    assert stub.read_text() == (ROOT / "problems" / "layernorm" / "layernorm.py.orig").read_text()
    again = grade("reset", "layernorm", env=env)
    assert again.code == 0 and "already the original stub" in again.stdout


def test_pristine_stubs_match_the_shipped_stubs() -> None:
    """The copies `reset` and sessions start from are the stubs as committed (a fresh clone has both equal)."""
    for orig in (ROOT / "problems").glob("*/*.py.orig"):
        assert orig.read_text() == orig.with_suffix("").read_text(), f"{orig} differs from the stub beside it"
    assert len(list((ROOT / "problems").glob("*/*.py.orig"))) == len(list((ROOT / "problems").glob("*/problem.toml")))


def test_without_torch_the_track_says_how_to_get_it(tmp_path) -> None:
    env = without_module(tmp_path, "torch")
    listing = grade("list", env=env)
    assert listing.code == 0 and "needs torch" in listing.stdout and "pip install -e '.[torch]'" in listing.stdout
    run = grade("torch_layernorm", env=env)
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.strip().count("\n") == 0 and "needs torch" in run.stderr and "Traceback" not in run.stderr


def test_batch_ranks_flagged_speed_rows_last_reports_errors_and_keeps_earlier_files(tmp_path) -> None:
    """A row loop does not rank level with vectorized code; a timeout is in the CSV's error column; a second
    batch in the same folder writes beside the first one's files instead of over them."""
    subs = tmp_path / "subs"
    for name, source in (("fast", ROOT / "solutions" / "layernorm.py"), ("loop", ROOT / "tests" / "variants" / "layernorm" / "row_loops.py")):
        (subs / name).mkdir(parents=True)
        shutil.copy(source, subs / name / "layernorm.py")
    (subs / "hang").mkdir()
    (subs / "hang" / "layernorm.py").write_text(HANGS)
    run = grade("batch", "layernorm", str(subs), "--seed", "5", "--timeout", "1", cwd=tmp_path, timeout=300)
    assert run.code == 1, run.stderr
    rows = {Path(r["file"]).parent.name: r for r in csv.DictReader((tmp_path / "normkata-batch-layernorm.csv").open())}
    assert rows["loop"]["speed_flag"] == "not vectorized" and rows["fast"]["speed_flag"] == ""
    assert int(rows["fast"]["rank"]) < int(rows["loop"]["rank"]) < int(rows["hang"]["rank"])
    assert "did not return within 1 s" in rows["hang"]["error"] and rows["fast"]["error"] == ""
    assert "not vectorized" in run.stdout
    again = grade("batch", "layernorm", str(subs / "fast"), "--seed", "5", "--no-speed", cwd=tmp_path)
    assert again.code == 0 and "normkata-batch-layernorm-2.csv" in again.stdout
    assert len(list(csv.DictReader((tmp_path / "normkata-batch-layernorm.csv").open()))) == 3, "the first batch's CSV is kept"


def test_batch_grades_each_file_as_a_single_grading_does(tmp_path) -> None:
    """`grade batch` collects the hidden suite once and forks a grader per file from there: each file still gets
    the rows a grading of its own gives, whatever was graded before it (the stub first, then a mistake, then a
    correct file), whatever the user's pytest settings. layernorm_basic's suite imports a module beside it
    (hidden/ln_forward_only.py)."""
    correct = tmp_path / "correct.py"
    shutil.copy(ROOT / "solutions" / "layernorm_basic.py", correct)
    stub, mistake = ROOT / "problems" / "layernorm_basic" / "layernorm_basic.py", ROOT / "tests" / "mutants" / "layernorm_basic" / "unbiased_variance.py"
    files = [stub, mistake, correct]
    batch = ("batch", "layernorm_basic", *map(str, files), "--json", "-", "--seed", "11", "--no-speed")
    run = grade(*batch, env=USERS_PYTEST_SETTINGS)
    assert run.code == 1, run.stderr
    batched = {Path(r["file"]).name: r["report"]["checks"] for r in json.loads(run.stdout)["results"]}
    for path in files:
        alone = grade("layernorm_basic", "--file", str(path), "--json", "--seed", "11", "--no-speed").report["checks"]
        assert [(r["name"], r["status"], r["message"]) for r in batched[path.name]] == [
            (r["name"], r["status"], r["message"]) for r in alone
        ], path.name
    assert all(r["status"] == "pass" for r in batched["correct.py"])
