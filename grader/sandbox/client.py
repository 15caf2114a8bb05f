"""The grader's side of the worker process: start it, talk to it with deadlines, kill it when needed.

Every read and write on the pipes has a deadline enforced here, in the parent: a candidate that loops
forever, blocks in C code, ignores signals or exits mid-reply cannot stall the grader. A timed-out worker
is killed with its whole process group (it was started in a new session) and a fresh one can be started.
"""

from __future__ import annotations

import functools
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.limits import default_budget, mib
from grader.sandbox.meter import ProcessMeter
from grader.sandbox.protocol import HEADER, ProtocolError, dumps, loads_untrusted
from grader.sandbox.replies import envelope

STARTUP_TIMEOUT_S = 20.0
OUTPUT_KEEP_BYTES = 16 * 1024


class WorkerTimeout(Exception):
    """The worker did not answer within its deadline (and has been killed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds


class WorkerDied(Exception):
    """The worker process ended while the grader was waiting for it."""

    def __init__(self, returncode: int | None, detail: str = "") -> None:
        self.returncode = returncode
        super().__init__(describe_exit(returncode) + (f" ({detail})" if detail else ""))


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "the worker process stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        meaning = {"SIGSEGV": "segmentation fault", "SIGKILL": "killed", "SIGABRT": "aborted", "SIGBUS": "bus error"}
        return f"the worker process died from {name}" + (f" ({meaning[name]})" if name in meaning else "")
    return f"the worker process exited with status {returncode}"


@dataclass
class CapturedOutput:
    """What the candidate printed: the first bytes kept verbatim, the rest only counted."""

    head: bytes = b""
    total_bytes: int = 0

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace")

    @property
    def truncated(self) -> bool:
        return self.total_bytes > len(self.head)


class _OutputDrain(threading.Thread):
    """Empties the worker's stdout/stderr pipe continuously so a flood can never block the worker."""

    def __init__(self, fd: int, sink: CapturedOutput) -> None:
        super().__init__(daemon=True)
        self.fd, self.sink = fd, sink

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            room = OUTPUT_KEEP_BYTES - len(self.sink.head)
            if room > 0:
                self.sink.head += chunk[:room]
            self.sink.total_bytes += len(chunk)


# What the worker's environment may hold, from the grader's: locale and home (some libraries read them).
# Anything else (NORMKATA_HOME, tokens, credentials) stays out of reach of the candidate's code.
PASSED_ENV = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "NORMKATA_SANDBOX")
WORKER_CWD = "/"  # nothing there is readable once the worker is confined; never the checkout


def worker_environment(config: "WorkerConfig") -> dict[str, str]:
    """The worker's whole environment: an allow-list, the grader's settings, and where to import `grader` from."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(config.env)
    env["NORMKATA_WORKER_MEMORY_MB"] = str(config.memory_mb)
    # The package may be an editable install or just a checkout: make it importable either way.
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


@dataclass(frozen=True)
class WorkerConfig:
    memory_mb: int = 0
    env: tuple[tuple[str, str], ...] = ()
    # Ask this zygote (grader.sandbox.zygote) for the worker instead of starting a fresh interpreter: its
    # forks have the imports done (torch takes ~2 s to import) and nothing of the grader. `grade batch` does.
    zygote_fd: int | None = None


def _too_large(size: int, budget: int) -> str:
    return f"the result was too large to transfer ({mib(size)}; this call may send back {mib(budget)})"


class Worker:
    """One live worker process. Not thread-safe: one request at a time, as the grading run makes them."""

    def __init__(self, config: WorkerConfig, output: CapturedOutput) -> None:
        env = worker_environment(config)
        if config.zygote_fd is not None:
            from grader.sandbox.zygote import ZygoteProcess

            self.process = ZygoteProcess(config.zygote_fd, STARTUP_TIMEOUT_S)
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader.sandbox.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=env,
                cwd=WORKER_CWD,
            )
        self._write_fd = self.process.stdin.fileno()
        self._read_fd = self.process.stdout.fileno()
        os.set_blocking(self._write_fd, False)
        self._drain = _OutputDrain(self.process.stderr.fileno(), output)
        self._drain.start()
        self._ready = False
        self._last_frame = 0  # bytes of the last reply's frame (stream() adds them up)
        self.received = 0  # bytes of every reply read, for budgets that span requests (WorkerSession's per check)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @functools.cached_property
    def meter(self) -> ProcessMeter:
        """The kernel's counts of this worker's CPU time and memory, read from here (the speed row's clock)."""
        return ProcessMeter(self.process.pid)

    def wait_ready(self) -> None:
        if not self._ready:
            self._receive(time.monotonic() + STARTUP_TIMEOUT_S, STARTUP_TIMEOUT_S, default_budget(None))
            self._ready = True

    def post(self, message: dict) -> None:
        """Send a request without waiting: the worker answers it once booted, while the grader does its own
        set-up, and `collect` reads the answer. Only before any other request."""
        self._send(message, time.monotonic() + STARTUP_TIMEOUT_S, STARTUP_TIMEOUT_S)

    def collect(self, timeout: float) -> dict:
        """The reply to the request `post` sent."""
        self.wait_ready()
        return self._receive(time.monotonic() + timeout, timeout, default_budget(None))

    def request(self, message: dict | bytes, timeout: float, budget: int | None = None) -> dict:
        """Send one request and wait for its single reply, of at most `budget` bytes (default_budget).

        `message` may be a frame protocol.dumps already made: one upload to several workers is encoded once."""
        self.wait_ready()
        deadline = time.monotonic() + timeout
        budget = budget or default_budget(message)
        if isinstance(message, dict):
            message = {**message, "budget": budget}  # lets the worker say "too large" without sending it all
        self._send(message, deadline, timeout)
        return self._receive(deadline, timeout, budget)

    def stream(self, message: dict, count: int, timeout_each: float, budget: int | None = None) -> Iterator[dict]:
        """Send one request and yield up to `count` replies, each with its own deadline.

        `budget` bounds the replies together, not each: the caller keeps them all (a numerical gradient's
        evaluations), so many replies just under a per-reply budget would add up to gigabytes."""
        self.wait_ready()
        self._send(message, time.monotonic() + timeout_each, timeout_each)
        left = budget or default_budget(message)
        for _ in range(count):
            reply = self._receive(time.monotonic() + timeout_each, timeout_each, left)
            left -= self._last_frame
            yield reply
            if not reply["ok"]:
                return

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self._drain.join(timeout=1.0)

    def close(self) -> None:
        """The worker holds nothing worth a goodbye: kill it and anything it started, without waiting."""
        self.kill()

    # ------------------------------------------------------------------ pipes with deadlines
    def _send(self, message: dict | bytes, deadline: float, timeout: float) -> None:
        data = memoryview(message if isinstance(message, bytes) else dumps(message))
        while data:
            self._wait(self._write_fd, deadline, timeout, for_write=True)
            try:
                written = os.write(self._write_fd, data)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise self._died() from None
            data = data[written:]

    def _receive(self, deadline: float, timeout: float, budget: int) -> dict:
        """One reply, refused unread when its header claims more than `budget` bytes.

        The deadline covers reading and decoding. After a malformed or oversized reply the pipe can no
        longer be trusted to be at a frame boundary, so the worker is killed.
        """
        (size,) = HEADER.unpack(self._read_exact(HEADER.size, deadline, timeout))
        self._last_frame = size
        self.received += size
        try:
            if size > budget:
                raise ProtocolError(_too_large(size, budget))
            reply = envelope(loads_untrusted(self._read_exact(size, deadline, timeout), budget, deadline))
            if "too_large" in reply:  # the worker's word that its result's arrays exceed the budget
                claimed = reply["too_large"]
                raise ProtocolError(_too_large(claimed if type(claimed) is int and claimed > budget else budget + 1, budget))
        except ProtocolError:
            self.kill()
            raise
        except TimeoutError:
            self.kill()
            raise WorkerTimeout(timeout) from None
        return reply

    def _read_exact(self, size: int, deadline: float, timeout: float) -> bytearray:
        """Exactly `size` bytes, read straight into one buffer (never a list of chunks joined: twice the memory)."""
        buffer = bytearray(size)
        view, done = memoryview(buffer), 0
        while done < size:
            self._wait(self._read_fd, deadline, timeout, for_write=False)
            count = os.readv(self._read_fd, [view[done : done + (1 << 20)]])
            if not count:
                raise self._died()
            done += count
        return buffer

    def _wait(self, fd: int, deadline: float, timeout: float, *, for_write: bool) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerTimeout(timeout)
            ready = select.select([], [fd], [], left) if for_write else select.select([fd], [], [], left)
            if ready[1] or ready[0]:
                return

    def _died(self) -> WorkerDied:
        try:
            code = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        return WorkerDied(code)

