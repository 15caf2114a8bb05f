"""Running the real `grade` command from tests: a subprocess each time, exactly as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARALLEL = max(2, os.cpu_count() or 2)


@dataclass
class GradeRun:
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    def rows(self, status: str | None = None, category: str | None = None) -> list[dict]:
        return [
            c
            for c in self.report["checks"]
            if (status is None or c["status"] == status) and (category is None or c["category"] == category)
        ]


def grade(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> GradeRun:
    full_env = {**os.environ, **(env or {}), "COLUMNS": "160"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=timeout,
    )
    return GradeRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def grade_many(jobs: Iterable[tuple[str, ...]]) -> list[GradeRun]:
    """Grade several files at once (each grading run is its own process; two cores here)."""
    jobs = list(jobs)
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda args: grade(*args), jobs))


@dataclass(frozen=True)
class Specimen:
    """A file of the mutation corpus, with what its header comments promise.

    # mistake: the variance used ddof=1        (what is wrong, for humans)
    # caught-by: hidden, gradcheck              (categories in which at least one row must fail)
    # diagnosis: ddof=1                         (optional: a regex some failing row's message must match)
    # speed: not vectorized                      (optional: a regex the speed row's message must match)
    """

    path: Path
    mistake: str
    caught_by: tuple[str, ...]
    diagnosis: str | None
    speed: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def _header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.+)$", text, re.M)
    return match.group(1).strip() if match else None


def specimens(kind: str) -> list[Specimen]:
    """tests/<kind>/<slug>/*.py: kind is 'mutants' (must be caught) or 'variants' (must pass)."""
    found = []
    for path in sorted((ROOT / "tests" / kind).glob("*/*.py")):
        text = path.read_text(encoding="utf-8")
        caught = _header(text, "caught-by")
        found.append(
            Specimen(
                path,
                _header(text, "mistake") or _header(text, "variant") or "",
                tuple(c.strip() for c in caught.split(",")) if caught else (),
                _header(text, "diagnosis"),
                _header(text, "speed"),
            )
        )
    return found
