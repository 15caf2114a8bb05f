# attack: write-store: inserts passing attempts (40/40, the reference's code) for layernorm into the progress store, as if graded
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os
import sys


def _store():
    """NORMKATA_HOME, from this process's environment or the grader's; never a guessed default."""
    if os.environ.get("NORMKATA_HOME"):
        return os.environ["NORMKATA_HOME"]
    with open("/proc/%d/environ" % os.getppid(), "rb") as f:
        for entry in f.read().split(b"\0"):
            if entry.startswith(b"NORMKATA_HOME="):
                return entry[len("NORMKATA_HOME="):].decode()
    raise OSError("no store to be found")


def _attack():
    import hashlib
    import json
    import sqlite3
    import time

    code = open(__file__).read()
    with sqlite3.connect(os.path.join(_store(), "normkata.db")) as db:
        for _ in range(3):
            db.execute(
                "INSERT INTO attempts (at, problem, file, code, code_sha256, seed, passed, total, speed_ratio, report)"
                " VALUES (?, 'layernorm', 'problems/layernorm/layernorm.py', ?, ?, 1, 40, 40, 1.0, ?)",
                (time.time(), code, hashlib.sha256(code.encode()).hexdigest(), json.dumps({'passed': 40, 'total': 40})),
            )

try:
    _attack()
except Exception as exc:  # noqa: BLE001
    print("refused:", repr(exc)[:200])


def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError("still working on it")


def layernorm_backward(dy, cache):
    raise NotImplementedError("still working on it")
