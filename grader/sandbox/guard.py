"""What candidate code may not do inside the worker, enforced with an audit hook (PEP 578).

Installed before the candidate's file is imported; audit hooks cannot be removed afterwards. It keeps
honest mistakes and casual cheating out — reading the reference solutions or the hidden suites, importing
a package the problem forbids, starting other programs — but it is not a security boundary: code that
calls C directly (ctypes) can go around it. See the README on what to use for untrusted code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

_PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn"}
)


def install(protected: Iterable[str], allowed_file: str, forbidden_modules: Iterable[str], track: str) -> None:
    roots = tuple(os.path.realpath(p) + os.sep for p in protected)
    allowed = os.path.realpath(allowed_file)
    forbidden = frozenset(forbidden_modules)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                real = os.path.realpath(os.fsdecode(path))
                if real != allowed and real.startswith(roots):
                    raise PermissionError(f"normkata: {real} is off limits while grading (reference solutions, hidden suites)")
        elif event == "import":
            top = str(args[0]).split(".")[0]
            if top in forbidden:
                raise ImportError(f"normkata: this problem is {track} only; importing {top} is a constraint violation")
        elif event in _PROCESS_EVENTS:
            raise PermissionError("normkata: starting other programs is not allowed while grading")

    sys.addaudithook(hook)
