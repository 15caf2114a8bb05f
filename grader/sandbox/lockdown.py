"""The worker's lockdown: limits the kernel enforces on everything the candidate's code does, in Python or in C.

Applied once per worker, after the worker's own imports and before the candidate's file is read, in this
order: resource limits, capabilities dropped (a worker started as root could otherwise raise its limits
again), Landlock (files, TCP, signals and abstract sockets), then a seccomp filter for what Landlock does
not cover (new processes and threads, sockets, ptrace, other processes' limits and scheduling, kernel
modules...). Each layer degrades on its own where the system lacks it, and `lock_down` returns what held, so
the scorecard can say so; nothing here is a Python hook the candidate could patch away afterwards.

Landlock comes from `landlockpy` (ABI 1-11, best effort on older kernels) and seccomp from `pyseccomp`, a
thin ctypes binding of libseccomp, which does the architecture checks (x32 and i386 entry points are refused,
not let through) that hand-written BPF gets wrong. Both are imported by `prepare()` while files can still be
read: pyseccomp looks libseccomp up with ldconfig at import.
"""

from __future__ import annotations

import ctypes
import errno
import importlib.util
import os
import resource
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# System folders a lazily imported extension module may need to map (libffi, libstdc++ ...): shared
# libraries and nothing secret. Only read access is ever granted.
SYSTEM_LIBRARIES = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
SYSTEM_FILES = ("/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/urandom")
EXTRA_TASKS = 32  # how far a fork bomb gets where seccomp is missing: RLIMIT_NPROC counts the user's tasks

_landlock: Any = None
_seccomp: Any = None


def prepare() -> None:
    """Import the two bindings now, while the worker may still read files and start ldconfig.

    NORMKATA_SANDBOX=guard leaves both out, as on a system without them: to see (and test) what holds there.
    """
    global _landlock, _seccomp
    if not sys.platform.startswith("linux") or os.environ.get("NORMKATA_SANDBOX") == "guard":
        return
    try:
        import landlockpy

        _landlock = landlockpy
    except ImportError:
        _landlock = None
    try:
        import pyseccomp

        _seccomp = pyseccomp
    except (ImportError, RuntimeError, OSError):  # RuntimeError: libseccomp is not installed
        _seccomp = None


# What "the kernel sandbox" means where it is required (`grade batch`, interview sessions): every one held.
CONFINED = ("files", "signals", "network", "processes")


def missing_protections(status: dict[str, Any] | str | None) -> list[str]:
    """The protections of CONFINED that did not hold, by name ([] when the worker was fully confined)."""
    held = status if isinstance(status, dict) else {}
    return [name for name in CONFINED if not held.get(name)]


def kernel_support() -> dict[str, Any]:
    """What a worker on this system could put in force, probed from the grader without confining it."""
    prepare()
    abi = _landlock.abi_version() if _landlock is not None else 0
    seccomp = _seccomp is not None
    return {
        "landlock_abi": abi,
        "files": abi >= 1,
        "network": seccomp or abi >= 4,
        "signals": seccomp or abi >= 6,
        "processes": seccomp,
        "seccomp": seccomp,
    }


def lock_down(readable_files: Iterable[str], forbidden: Iterable[str]) -> dict[str, Any]:
    """Confine this process for good; returns what is in force, for the report.

    `readable_files` (the candidate's file, or its package tree) and the Python installation are the only
    things left readable; nothing under `forbidden` (the checkout with the solutions and hidden suites, the
    progress store) is, even where it sits inside a granted folder.
    """
    status: dict[str, Any] = {"landlock_abi": 0, "files": False, "network": False, "signals": False}
    _die_with_parent()
    _limit_resources()
    status["capabilities_dropped"] = _drop_capabilities()
    if _single_threaded():
        status.update(_apply_landlock(list(readable_files), [os.path.realpath(p) for p in forbidden]))
    status["seccomp"] = _apply_seccomp()
    if status["seccomp"]:
        status["signals"] = status["network"] = True  # the filter restricts both on any Landlock ABI
    status["processes"] = status["seccomp"]
    return status


# --------------------------------------------------------------------------- resource limits
def _limit_resources() -> None:
    for limit, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NPROC, _task_ceiling())):
        if value is None:
            continue
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass  # a lower hard limit already in force stays


def _task_ceiling() -> int | None:
    """All tasks on the system now plus a few: RLIMIT_NPROC counts the user's, so this bounds a fork bomb."""
    try:
        total = int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    except (OSError, IndexError, ValueError):
        return None
    return total + EXTRA_TASKS


def _die_with_parent() -> None:
    """Should the grader (or the zygote) be killed outright, the kernel ends this worker too, loop or not."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)


def _drop_capabilities() -> bool:
    """A worker run as root keeps uid 0 but loses every capability (no raising rlimits, no DAC override)."""
    if not sys.platform.startswith("linux"):
        return False

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    return libc.capset(ctypes.byref(header), data) == 0


def _single_threaded() -> bool:
    """Landlock before ABI 8 confines the calling thread only: another thread would stay unconfined."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


# --------------------------------------------------------------------------- Landlock
def package_dirs(names: Iterable[str]) -> list[str]:
    """Where the track's forbidden packages live (torch for a NumPy problem): never granted, so no loader can
    run their code under another name, as an import hook alone would allow."""
    found: list[str] = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None:
            found += list(spec.submodule_search_locations or ()) or ([spec.origin] if spec.origin else [])
    return [os.path.realpath(path) for path in found if os.path.exists(path)]


def _foreign_site_packages(trees: list[str]) -> list[str]:
    """site-packages folders inside a granted tree that are not on the import path (the base interpreter's,
    under a venv's stdlib): packages there were never meant to be importable, forbidden ones included."""
    inner = (os.path.join(tree, name) for tree in trees for name in ("site-packages", "dist-packages"))
    return [os.path.realpath(path) for path in inner if os.path.isdir(path) and os.path.realpath(path) not in trees]


def _apply_landlock(readable_files: list[str], forbidden: list[str]) -> dict[str, Any]:
    if _landlock is None or _landlock.abi_version() < 1:
        return {}
    ll = _landlock
    abi = ll.abi_version()
    read_tree = ll.AccessFS.READ_FILE | ll.AccessFS.READ_DIR
    with ll.Ruleset(
        handled_fs=ll.fs_for_abi(abi),
        handled_net=ll.AccessNet.BIND_TCP | ll.AccessNet.CONNECT_TCP,
        scoped=ll.Scope.SIGNAL | ll.Scope.ABSTRACT_UNIX_SOCKET,
    ) as ruleset:
        trees = python_trees()
        granted = _grantable(trees, forbidden + _foreign_site_packages(trees))
        for path in (*granted, *SYSTEM_FILES, *readable_files):
            if os.path.exists(path):
                ruleset.allow_path(path, read_tree if os.path.isdir(path) else ll.AccessFS.READ_FILE)
        ruleset.restrict()
        return {
            "landlock_abi": abi,
            "files": True,
            "network": bool(ruleset.handled_net),
            "signals": bool(ruleset.scoped & ll.Scope.SIGNAL),
        }


def python_trees() -> list[str]:
    """Folders the interpreter imports from (stdlib, site-packages) and the system's shared libraries.

    Only import-path entries inside the installation's prefixes count: the working directory or a checkout
    on PYTHONPATH (ours, with the solutions) must never be granted because it happens to be on sys.path.
    """
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    trees = [
        real
        for real in (os.path.realpath(entry) for entry in sys.path if entry and os.path.isdir(entry))
        if any(real == p or real.startswith(p + os.sep) for p in prefixes)
    ]
    trees += [os.path.realpath(lib) for lib in SYSTEM_LIBRARIES if os.path.isdir(lib)]
    return list(dict.fromkeys(trees))


def _grantable(trees: list[str], forbidden: list[str]) -> list[str]:
    """Each tree, or where it holds a forbidden path, its other children: Landlock grants whole hierarchies."""
    granted: list[str] = []
    for tree in trees:
        granted.extend(_split_around(tree, forbidden))
    return list(dict.fromkeys(granted))


def _split_around(tree: str, forbidden: list[str]) -> list[str]:
    inside = [f for f in forbidden if f == tree or f.startswith(tree.rstrip(os.sep) + os.sep)]
    if not inside:
        return [tree]
    if tree in inside:
        return []
    try:
        children = sorted(os.scandir(tree), key=lambda e: e.name)
    except OSError:
        return []
    parts: list[str] = []
    for child in children:
        if child.is_symlink():
            continue  # its target is granted on its own terms, if it is on the path at all
        parts.extend(_split_around(child.path, forbidden))
    return parts


# --------------------------------------------------------------------------- seccomp
# Refused outright: other processes (ptrace, their memory, their priorities), the kernel's own state, and
# ways around Landlock (handles to inodes, io_uring, new namespaces).
_REFUSED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "tkill", "setrlimit", "setpriority", "sched_setaffinity", "sched_setscheduler",
    "sched_setparam", "sched_setattr", "ioprio_set", "migrate_pages", "move_pages", "mount", "umount2",
    "pivot_root", "chroot", "unshare", "setns", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm", "name_to_handle_at", "open_by_handle_at",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "fanotify_init", "quotactl", "syslog", "vhangup",
    "socket", "fork", "vfork", "clone", "execve", "execveat",
    # Landlock (up to ABI 7) does not see a file's metadata: a worker that owns a file (root owns most) could
    # chmod it, setuid bit included, or stamp it, on any path it can name.
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime", "utimes",
    "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
    "fremovexattr", "setxattrat", "removexattrat",
    # System V and POSIX message IPC outlive the worker and would carry data from one hand-in to the next.
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)  # fmt: skip
# System calls added since Linux 6.6 (numbered alike on every architecture since 424), which an older
# libseccomp cannot name: file metadata at a path (xattrs, fsxattr flags), mount and LSM state. None is
# needed once the worker runs; ENOSYS makes libraries fall back as on an older kernel.
_NEWER = range(452, 470)
# Signals only to this process itself (raise(), abort()): never to the grader or anyone else.
_SIGNAL_SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def _apply_seccomp() -> bool:
    if _seccomp is None:
        return False
    sc = _seccomp
    denied = sc.ERRNO(errno.EPERM)
    try:
        rules = sc.SyscallFilter(sc.ALLOW)
        for name in _REFUSED:
            _add(rules, denied, name)
        _add(rules, sc.ERRNO(errno.ENOSYS), "clone3")  # glibc then falls back to clone, refused above
        for number in _NEWER:
            _add(rules, sc.ERRNO(errno.ENOSYS), number)
        me = os.getpid()
        for name in _SIGNAL_SELF_ONLY:
            _add(rules, denied, name, sc.Arg(0, sc.NE, me))
        _add(rules, denied, "prlimit64", sc.Arg(2, sc.NE, 0))  # reading limits stays fine (getrlimit)
        rules.load()
    except OSError:
        return False
    return True


def _add(rules: Any, action: int, call: str | int, *args: Any) -> None:
    try:
        rules.add_rule(action, call, *args)
    except (OSError, ValueError):
        pass  # a system call this architecture (or this libseccomp) does not know; _NEWER covers the recent ones
