"""What candidate code may not do inside the worker, as an audit hook (PEP 578): the problem's import rule,
and, where the kernel sandbox is missing, a stand-in for it.

Installed before the candidate's file is imported; audit hooks cannot be removed afterwards. The import rule
("this problem is NumPy only") is a constraint for honest candidates and is always installed. With `confine`
(only where lockdown.py could not get Landlock from the kernel), the hook also refuses reads of the
solutions and hidden suites, any write, removal or rename, signals to other processes, sockets and new
programs. That is a speed bump, not a boundary: code that calls C directly (ctypes) goes around it, which
is why `grade batch` and interview sessions refuse to run without the kernel sandbox unless told to.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

_PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn"}
)
_CHANGE_EVENTS = frozenset(
    {"os.remove", "os.rename", "os.rmdir", "os.link", "os.symlink", "os.truncate", "os.chmod", "os.chown", "os.mkdir",
     "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile"}
)  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def install(protected: Iterable[str], allowed_file: str, forbidden_modules: Iterable[str], track: str, *, confine: bool) -> None:
    roots = tuple(os.path.realpath(p) + os.sep for p in protected)
    allowed = os.path.realpath(allowed_file)
    forbidden = frozenset(forbidden_modules)
    me = os.getpid()

    def refuse(what: str) -> None:
        raise PermissionError(f"normkata: {what} while grading")

    def hook(event: str, args: tuple) -> None:
        if event == "import":
            top = str(args[0]).split(".")[0]
            if top in forbidden:
                raise ImportError(f"normkata: this problem is {track} only; importing {top} is a constraint violation")
            return
        if not confine:
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            if isinstance(path, (str, bytes, os.PathLike)):
                real = os.path.realpath(os.fsdecode(path))
                if real != allowed and real.startswith(roots):
                    refuse(f"{real} is off limits")
            if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & _WRITE_FLAGS):
                refuse("writing files is not allowed")
        elif event in _CHANGE_EVENTS:
            refuse("changing files is not allowed")
        elif event in ("os.kill", "os.killpg") and args and args[0] != me:
            refuse("signalling other processes is not allowed")
        elif event.startswith("socket."):
            refuse("network access is not allowed")
        elif event in _PROCESS_EVENTS:
            refuse("starting other programs is not allowed")

    sys.addaudithook(hook)
