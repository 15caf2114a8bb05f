"""`grade watch`: a save is graded again and the scorecard redrawn. How soon is a measurement of the machine and
its load (`make bench` writes it to docs/benchmarks.md), never a test's verdict."""

from __future__ import annotations

import subprocess
import sys
import time

from helpers import ROOT


def test_a_save_is_regraded(tmp_path) -> None:
    path = tmp_path / "layernorm.py"
    path.write_text((ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8"), encoding="utf-8")
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader", "watch", "layernorm", "--file", str(path), "--seed", "3", "--runs", "2"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "Score" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
                time.sleep(0.05)
            path.write_text(path.read_text(encoding="utf-8").replace("var = np.einsum", "var = 1.1 * np.einsum"))
            proc.wait(timeout=60)
        finally:
            proc.kill()
    text = log.read_text(encoding="utf-8")
    assert "Score 39/39" in text and "Score 17/39" in text.split("Score 39/39", 1)[1]
