"""The hostile corpus: broken, careless and mischievous candidate files, each with its promised scorecard.

tests/hostile/<slug>/<case>.py starts with header comments:

    # hostile: what the file does                (or # careless:, # broken:, # constraint:)
    # args: --timeout 1                          (extra grade options; optional)
    # within: 15                                 (seconds the whole `grade` run may take)
    # exit: 1                                    (optional, default 1)
    # expect: error/load: a regex                (some row with this status [and category] matches)
    # no-pass                                    (no row may pass)
    # output-over: 4000000                       (the captured output counted at least this many bytes)

Each file is graded once with --json; the JSON must parse whatever the file did.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import ROOT, grade_many, selected

SEED = "5"


@dataclass
class Promise:
    path: Path
    args: list[str] = field(default_factory=list)
    within: float = 10.0
    exit: int = 1
    expects: list[tuple[str, str | None, str]] = field(default_factory=list)
    no_pass: bool = False
    output_over: int = 0

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def _promise(path: Path) -> Promise:
    promise = Promise(path)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[2:].partition(":")
        value = value.strip()
        if key == "args":
            promise.args = shlex.split(value)
        elif key == "within":
            promise.within = float(value)
        elif key == "exit":
            promise.exit = int(value)
        elif key == "output-over":
            promise.output_over = int(value)
        elif key == "no-pass":
            promise.no_pass = True
        elif key == "expect":
            where, _, pattern = value.partition(": ")
            status, _, category = where.partition("/")
            promise.expects.append((status, category or None, pattern))
    return promise


PROMISES = [_promise(p) for p in sorted((ROOT / "tests" / "hostile").glob("*/*.py"))]


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> dict:
    promises = selected(request, PROMISES, "promise")
    jobs = [(p.path.parent.name, "--file", str(p.path), "--seed", SEED, "--json", *p.args) for p in promises]
    return {p.id: run for p, run in zip(promises, grade_many(jobs))}


@pytest.mark.parametrize("promise", PROMISES, ids=[p.id for p in PROMISES])
def test_hostile_file_gets_an_honest_scorecard(promise: Promise, runs: dict) -> None:
    run = runs[promise.id]
    assert "Traceback" not in run.stderr, run.stderr
    report = run.report  # one valid JSON object, whatever the file printed or did
    assert run.code == promise.exit, f"exit {run.code}: {report['checks'][:3]}"
    assert run.seconds < promise.within, f"took {run.seconds:.1f} s, promised under {promise.within} s"
    rows = report["checks"]
    for status, category, pattern in promise.expects:
        matching = [r for r in rows if r["status"] == status and (category is None or r["category"] == category)]
        assert any(re.search(pattern, r["message"]) for r in matching), (
            f"no {status}{'/' + category if category else ''} row matches /{pattern}/; rows: "
            + "; ".join(f"{r['status']}/{r['category']}: {r['message'][:120]}" for r in rows if r["status"] != "pass")
        )
    if promise.no_pass:
        assert not [r for r in rows if r["status"] == "pass"]
    assert report["output"]["total_bytes"] >= promise.output_over


def test_corpus_is_large_enough() -> None:
    assert len(PROMISES) >= 30 and all(p.expects or p.exit == 0 for p in PROMISES)
