"""Running the real `grade` command from tests: a subprocess each time, exactly as a user runs it."""

from __future__ import annotations

import importlib.util
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

import pytest

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


def grade_files(slug: str, files: list[Path], *args: str) -> dict[Path, GradeRun]:
    """Grade many files of one problem with `grade batch` (one grader, forked per file): {file: its run}.

    Each result looks like a `grade --json` run of that file: exit code 0 when every check passed.
    """
    if not files:
        return {}
    run = grade("batch", slug, *map(str, files), "--json", "-", *args, timeout=600)
    assert run.code in (0, 1) and run.stdout, f"grade batch failed ({run.code}): {run.stderr[-2000:]}"
    runs = {}
    for result in json.loads(run.stdout)["results"]:
        report = result["report"]
        assert report is not None, f"{result['file']}: {result['error']}"
        code = 0 if report["passed"] == report["total"] and report["total"] else 1
        runs[Path(result["file"])] = GradeRun(code, json.dumps(report), "", result["seconds"])
    return runs


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


def _slug_of(value: object) -> str:
    return value.path.parent.name if isinstance(value, Specimen) else str(value)


TORCH_AVAILABLE = importlib.util.find_spec("torch") is not None
NEEDS_TORCH = pytest.mark.skipif(not TORCH_AVAILABLE, reason="the PyTorch track needs torch: make install-torch")


def torch_marks(values: list) -> list:
    """Parameters (slugs or specimens) of the PyTorch track are skipped, visibly, when torch is missing."""
    return [pytest.param(v, marks=NEEDS_TORCH) if _slug_of(v).startswith("torch_") else v for v in values]


def selected(request: pytest.FixtureRequest, values: list, name: str) -> list:
    """The values a module-scoped fixture must prepare: only those of tests that will run (-k, skips).

    Grading is the expensive part of these tests, so `pytest -k layernorm` grades only layernorm's files.
    """
    wanted = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or name not in callspec.params:
            continue
        if any(marker.args and marker.args[0] for marker in item.iter_markers("skipif")):
            continue
        wanted.add(callspec.params[name])
    return [v for v in values if v in wanted]
