"""Grades the mutation corpus for the project's tests: `grade batch`'s own grading (grader.batch.grade_batch),
for the batches of many problems in one process.

Every `grade batch` would pay the grader's imports and start a zygote that pays the worker's: torch's take
about 2 CPU-s on each side, and the corpus is some forty batches (one per problem, and one more where some of
its files run the speed row). Here they are paid once per process and once per worker configuration (zygotes
are shared by the problems whose workers are configured alike). The gradings are the same `grade_batch` calls,
with the options `grade batch --seed N --jobs J [--no-speed]` builds; the CLI around them is tested on its own
(tests/test_batch_and_tracks.py).

Protocol: one job per line on stdin, {"slug", "files", "speed", "narrowed", "seed", "jobs"} ("narrowed": {file:
{"only", "until_caught"}}, what the grading of a file may leave out, as `grader.core.plugin.Narrowed`); for
each, one line on stdout: the batch's JSON document (`grader.batch.to_json`), or {"error": why}. Nothing else
is written to stdout: the gradings' own output goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else prints cannot break the protocol
    zygotes: dict = {}
    from grader.sandbox.zygote import Zygote  # before the grading's imports, as grade_batch starts its own

    try:
        for line in sys.stdin:
            job = json.loads(line)
            try:
                document = _grade(job, zygotes, Zygote)
            except Exception as exc:  # noqa: BLE001 - the test that reads this batch reports it
                document = {"error": f"{type(exc).__name__}: {exc}"}
            results.write(json.dumps(document) + "\n")
            results.flush()
    finally:
        for zygote in zygotes.values():
            zygote.close()


def _grade(job: dict, zygotes: dict, zygote_class: type) -> dict:
    from grader.batch import discover, grade_batch, to_json
    from grader.catalog import Catalog
    from grader.core.plugin import Narrowed
    from grader.core.runner import GradeOptions, worker_config

    problem = Catalog(Path(__file__).resolve().parents[1]).get(job["slug"])
    options = GradeOptions(seed=int(job["seed"]), timeout_s=problem.timeout_s, speed=job["speed"], require_sandbox=True)
    config = worker_config(problem, options)
    if config not in zygotes:
        zygotes[config] = zygote_class(config)
    started = time.monotonic()
    files = discover(problem, [Path(f) for f in job["files"]])
    narrowed = {Path(f): Narrowed(tuple(n["only"]), n["until_caught"]) for f, n in job.get("narrowed", {}).items()}
    results = grade_batch(problem, files, options, int(job["jobs"]), zygote=zygotes[config], narrowed=narrowed)
    return to_json(problem, results, options, time.monotonic() - started)


if __name__ == "__main__":
    main()
