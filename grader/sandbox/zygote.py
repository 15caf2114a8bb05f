"""Workers forked from a clean process, for `grade batch`: imports paid once, nothing of the grader inherited.

A worker forked from a grader would inherit the grader's memory: the kit's correct formulas in
`sys.modules`, the grader's environment (tokens, NORMKATA_HOME) in its initial stack — all readable by the
candidate's code without opening a file. The zygote is a fresh interpreter started with the workers'
environment, which imports what every worker needs (NumPy, torch for its track, the sandbox's bindings) and
then only forks. Each fork becomes a worker on the pipes the grader passed with the request; the zygote
reports the worker's pid, and its exit status when it ends, on a socket private to that worker.

Requests travel on one SOCK_SEQPACKET socket, shared by every grader process of the batch: each request is
one message carrying its descriptors, so concurrent graders never interleave. The zygote ends when the last
grader has closed its end.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from grader.sandbox.client import WORKER_CWD, WorkerConfig, worker_environment

_PID = struct.Struct(">i")
_EXIT = struct.Struct(">ii")  # pid, exit code as subprocess reports it (negative: killed by that signal)
REAP_INTERVAL_S = 0.05
_STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


# ------------------------------------------------------------------ the grader's side
class Zygote:
    """Starts the zygote; `fd` is what grader processes forked later use to ask it for workers."""

    def __init__(self, config: WorkerConfig) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.zygote", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=worker_environment(config),
            cwd=WORKER_CWD,
            start_new_session=True,
        )
        theirs.close()
        self.socket = ours
        self.fd = ours.fileno()

    def close(self) -> None:
        self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ZygoteProcess:
    """A worker forked by the zygote, behind the part of Popen's interface `client.Worker` uses."""

    def __init__(self, zygote_fd: int, timeout: float) -> None:
        pipes = [os.pipe() for _ in range(3)]  # (read, write) for the worker's stdin, stdout, stderr
        self._status, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        control = socket.socket(fileno=os.dup(zygote_fd))
        try:
            socket.send_fds(control, [b"fork"], [pipes[0][0], pipes[1][1], pipes[2][1], theirs.fileno()])
        finally:
            control.close()
        for fd in (pipes[0][0], pipes[1][1], pipes[2][1]):
            os.close(fd)
        theirs.close()
        ready, _, _ = select.select([self._status], [], [], timeout)
        message = self._status.recv(64) if ready else b""
        if len(message) != _PID.size:
            raise OSError("the zygote did not start a worker")
        (self.pid,) = _PID.unpack(message)
        self.returncode: int | None = None
        self.stdin = os.fdopen(pipes[0][1], "wb", buffering=0)
        self.stdout = os.fdopen(pipes[1][0], "rb", buffering=0)
        self.stderr = os.fdopen(pipes[2][0], "rb", buffering=0)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._status], [], [], 0)[0]:
            self._read_status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("worker", timeout)
            select.select([self._status], [], [], left)
        return self.returncode

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _read_status(self) -> None:
        message = self._status.recv(64)
        self.returncode = _EXIT.unpack(message)[1] if len(message) == _EXIT.size else -signal.SIGKILL
        self._status.close()


# ------------------------------------------------------------------ the zygote itself
def serve(control_fd: int) -> None:
    from grader.sandbox import worker

    worker.boot()
    for name in _STOPPING:  # a worker of a system without signal scoping must not stop the batch's zygote
        signal.signal(name, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    children: dict[int, socket.socket] = {}
    while True:
        readable = select.select([control], [], [], REAP_INTERVAL_S)[0]
        _reap(children)
        if not readable:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 4)
        except OSError:
            break
        if not message:
            break  # every grader has closed its end: the batch is over
        if message != b"fork" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the new worker
            _become_worker(worker, fds)
        for fd in fds[:3]:
            os.close(fd)
        status = socket.socket(fileno=fds[3])
        status.send(_PID.pack(pid))
        children[pid] = status
    for pid in children:
        _kill_group(pid)


def _become_worker(worker, fds: list[int]) -> None:
    """Only the grader's three pipes stay open: the zygote's sockets never reach candidate code."""
    try:
        os.setsid()
        for name in _STOPPING:
            signal.signal(name, signal.default_int_handler if name == signal.SIGINT else signal.SIG_DFL)
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        worker.run(worker.isolate_stdio())
    finally:
        os._exit(0)


def _reap(children: dict[int, socket.socket]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reporter = children.pop(pid, None)
        if reporter is not None:
            try:
                reporter.send(_EXIT.pack(pid, os.waitstatus_to_exitcode(status)))
            except OSError:
                pass  # that grader is gone
            reporter.close()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    serve(int(sys.argv[1]))
