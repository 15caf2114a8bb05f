"""One grading run's connection to the candidate: a worker holding the candidate's module.

It turns every way a call can go wrong into a check outcome (`grader.outcomes`), restarts the worker
after a crash or a hang, and stops calling a function that hung or crashed once: its remaining checks are
reported as not run, which keeps a file with an infinite loop to one timeout per function.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.core.package import CandidatePackage
from grader.core.preflight import apply_aliases, refusal_note
from grader.outcomes import CandidateCrashed, CandidateRaised, NotRun
from grader.sandbox import replies
from grader.sandbox.client import STARTUP_TIMEOUT_S, CapturedOutput, Worker, WorkerConfig, WorkerDied, WorkerTimeout
from grader.sandbox.limits import mib
from grader.sandbox.lockdown import missing_protections
from grader.sandbox.meter import ProcessGone, ProcessMeter
from grader.sandbox.protocol import Opaque, ProtocolError, Ref


@dataclass
class LoadResult:
    ok: bool
    raised: dict | None = None
    functions: dict[str, dict | None] = field(default_factory=dict)


@dataclass
class CallResult:
    value: Any
    elapsed: float  # the worker's CPU seconds over the request, counted by the kernel
    args_after: list | None = None
    kwargs_after: dict | None = None
    args_ref: Ref | None = None  # the call's arguments, still held by the worker (with return_args)
    selected: bool = False  # `value` is item `select` of what the call returned (a call with select)


def describe_raised(fn: str, raised: dict, memory_mb: int = 0) -> CandidateRaised:
    """Teach with the candidate's own exception: type, message and the line of their file it came from."""
    frames = raised.get("frames") or []
    if raised.get("is_not_implemented"):
        where = frames[-1]["function"] if frames else fn
        return CandidateRaised(f"not implemented yet ({where} raises NotImplementedError)", not_implemented=True)
    if raised.get("type") == "MemoryError":
        limit = f"more than {memory_mb / 1024:g} GiB, the worker's limit (`--memory-mb` changes it)" if memory_mb else "too much"
        return CandidateRaised(f"{fn} ran out of memory: it tried to use {limit}")
    if raised.get("is_exit"):
        text = f"{fn} called sys.exit({raised['message']}) instead of returning"
    else:
        text = f"{fn} raised {raised['type']}: {raised['message']}".rstrip(": ")
    if frames:
        last = frames[-1]
        text += f" (line {last['line']}, in {last['function']}: {last['code']})"
    return CandidateRaised(text + refusal_note(raised))


GRADING_BUDGET_MIN_S = 60.0
GRADING_BUDGET_CALLS = 12  # the grading's budget in call timeouts
MIN_CALL_S = 0.05  # the shortest timeout a call is given, even when the budget is all but spent
# Importing the file may take a call's timeout and this much more: the worker has its track's libraries
# imported before the file is (NumPy, torch), so what is left is the file's own top-level code and any
# module it imports besides. An endless loop at import is reported this much sooner than it was at 10 s.
IMPORT_ALLOWANCE_S = 5.0
# What one check may receive in all: each reply has a budget of its own, and a check keeps what its calls
# returned until it ends (values are handed back by reference), so 24 replies each just under their budget
# would hold gigabytes in the grader.
CHECK_REPLY_BYTES = 384 << 20


class SandboxMissing(Exception):
    """The kernel sandbox was required and did not hold: the candidate's file is not loaded at all."""


class WorkerSession:
    def __init__(
        self,
        candidate: Path,
        reference: Path | None,
        functions: list[str],
        *,
        timeout: float,
        config: WorkerConfig,
        protected: tuple[Path, ...] = (),
        forbidden_trees: tuple[Path, ...] = (),
        forbidden: tuple[str, ...] = (),
        track: str = "",
        require_sandbox: bool = False,
        package: CandidatePackage | None = None,
        aliases: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.candidate, self.reference, self.functions = candidate, reference, functions
        self.package = package  # the candidate's file is imported as part of this package, whose tree the worker reads
        # Keyword names another course year gives a parameter (problem.toml `aliases`), {function: {ours: theirs}}:
        # used for a candidate whose signature has theirs and not ours.
        self.aliases = aliases or {}
        self._renamed: dict[str, dict[str, str]] = {}
        self.protected, self.forbidden, self.track = protected, forbidden, track
        self.forbidden_trees = forbidden_trees  # never readable by the worker, even inside a granted folder
        self.sandbox: dict | None = None  # what the first worker's lockdown put in force
        self.require_sandbox = require_sandbox  # refuse to load candidate code where the kernel cannot confine it
        self._lockdown_pending = False  # start() posted a lockdown whose reply load() has not read yet
        self.timeout, self.config = timeout, config
        # The whole grading's time: calls that each stop just short of their timeout must not add up to
        # minutes (an honest file needs a small fraction of this).
        self.budget_s = max(GRADING_BUDGET_MIN_S, GRADING_BUDGET_CALLS * timeout)
        self._out_of_time_at = time.monotonic() + self.budget_s
        self.output = CapturedOutput()
        self.generation = 0
        self._worker: Worker | None = None
        self._reference_worker: WorkerSession | None = None
        self._loaded = False
        self._broken: dict[str, str] = {}
        self._origins: dict[int, tuple[Any, int, Ref]] = {}
        self._to_drop: list[int] = []
        self._check_bytes = 0  # bytes received since the last check ended (CHECK_REPLY_BYTES)
        self.signatures: dict[str, dict | None] = {}

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Spawn the worker now; it boots (imports NumPy) while the grader does its own set-up."""
        if self._worker is None or not self._worker.alive:
            self._worker = Worker(self.config, self.output)
            self.generation += 1
            self._loaded = False
            self._lockdown_pending = True
            try:
                self._worker.post(self._lockdown_request())  # done while the grader imports pytest
            except (WorkerTimeout, WorkerDied):
                pass  # the load that follows meets the same trouble and reports it

    def load(self) -> LoadResult:
        self.start()
        message = {"op": "load", "candidate": str(self.candidate), "functions": self.functions}
        if self.package is not None:
            message["package"] = {"root": str(self.package.root), "module": self.package.module}
        try:
            self._lock_down()
            reply = replies.check(replies.load(self.functions), self._worker.request(message, self._bounded(self.timeout + IMPORT_ALLOWANCE_S)))
        except WorkerTimeout as exc:
            return LoadResult(False, {"type": "Timeout", "message": f"importing the file took longer than {exc.seconds:g} s"})
        except (WorkerDied, ProtocolError) as exc:
            return LoadResult(False, {"type": "Crash", "message": f"{exc} while importing the file"})
        except SandboxMissing as exc:
            self.close()
            return LoadResult(False, {"type": "Sandbox", "message": str(exc)})
        self._loaded = reply["ok"]
        result = LoadResult(self._loaded, reply.get("raised"), self._adopt_aliases(reply.get("functions") or {}))
        self.signatures = result.functions
        return result

    def _adopt_aliases(self, signatures: dict[str, dict | None]) -> dict[str, dict | None]:
        """The signatures with each alias the candidate uses renamed to our name, remembered for the calls."""
        self._renamed = {}
        adopted = dict(signatures)
        for fn, aliases in self.aliases.items():
            params = (signatures.get(fn) or {}).get("params")
            if params:
                renamed, used = apply_aliases(params, aliases)
                if used:
                    self._renamed[fn], adopted[fn] = used, {**signatures[fn], "params": renamed}
        return adopted

    def _lockdown_request(self) -> dict:
        return {
            "op": "lockdown",
            "readable": [str(self.package.root if self.package is not None else self.candidate)],
            "forbidden_trees": [str(p) for p in self.forbidden_trees],
            "protected": [str(p) for p in self.protected],
            "forbidden": list(self.forbidden),
            "track": self.track,
        }

    def _lock_down(self) -> None:
        """The fresh worker's answer to the lockdown `start` posted: it comes before any candidate code has run
        in that process, so it is the one reply the candidate cannot have forged."""
        if not self._lockdown_pending:
            return  # this worker is confined already (a second load of the same process)
        self._lockdown_pending = False
        reply = self._worker.collect(STARTUP_TIMEOUT_S)
        status = reply.get("sandbox")
        if not reply.get("ok") or not isinstance(status, dict):
            raise ProtocolError("the worker could not confine itself")
        if self.sandbox is None:
            self.sandbox = status
        missing = missing_protections(status)
        if self.require_sandbox and missing:
            raise SandboxMissing(
                f"the kernel sandbox is required here, and this system could not confine the worker's {', '.join(missing)} "
                "(see the README on which systems have it); --allow-unsandboxed grades anyway"
            )

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
        if self._reference_worker is not None:
            self._reference_worker.close()

    # ----------------------------------------------------------------- the speed row (grader.kit.timing)
    def warm_reference(self) -> None:
        """Boot the speed row's other side now, while the remaining checks run (the plugin calls this when a
        first check passes). A file that passes nothing never pays for a second interpreter on the machine."""
        if self._loaded and self.reference is not None:
            self.reference_worker().start()

    def reference_worker(self) -> WorkerSession:
        """The reference solution in a worker process of its own, the speed row's other side (started on first use).

        It never runs candidate code, and nothing of the reference reaches the candidate's worker, whose
        patches (of NumPy, exec, the clocks) can therefore neither read the reference nor slow it down.
        """
        if self._reference_worker is None:
            if self.reference is None:
                raise RuntimeError("this session was given no reference solution")
            self._reference_worker = WorkerSession(
                self.reference, None, self.functions, timeout=self.timeout, config=self.config, track=self.track
            )
        return self._reference_worker

    def meter(self) -> ProcessMeter:
        """The kernel's counts of the loaded worker process (CPU time, peak memory)."""
        self._ensure_loaded()
        return self._worker.meter

    def broken(self) -> str | None:
        """Why calls are no longer made (a function hung or crashed the worker earlier), or None."""
        return next((f"{fn} {why} earlier" for fn, why in self._broken.items()), None)

    def end_test(self) -> None:
        """Forget values kept for the last check, so the worker's memory does not grow across checks."""
        self._to_drop.extend(ref.handle for _, gen, ref in self._origins.values() if gen == self.generation and not ref.path)
        self._origins.clear()
        self._check_bytes = 0

    # ----------------------------------------------------------------- calls
    def call(
        self, fn: str, args: tuple, kwargs: dict, *, return_args: bool = False, target: Ref | None = None, label: str = "",
        select: int | None = None,
    ) -> CallResult:
        """Call fn of the candidate's module, or method fn of the object `target` names (shown as `label`).

        `select` asks for item `select` of a returned tuple or list alone (say the loss of `loss, grads`, called
        hundreds of times by a gradient check): the rest is neither encoded nor decoded. Any other result comes
        whole, with `selected` False. It does not combine with return_args (no check needs both)."""
        if select is not None and return_args:
            raise ValueError("a call brings back one item of its result (select) or its arguments too (return_args), not both")
        label = label or fn
        message = {
            "op": "call",
            "fn": fn,
            "target": target,
            "args": self._outgoing(args),
            "kwargs": {k: self._outgoing_one(v) for k, v in kwargs.items()},
            "return_args": return_args,
            "select": select,
        }
        shape = replies.CALL_WITH_ARGS if return_args else replies.CALL if select is None else replies.CALL_PART
        reply, cpu_s = self.measured(label, message, shape, drops=True)
        value, ref, selected = reply["value"], reply["ref"], select is not None and reply["selected"]
        self._remember(value, Ref(ref.handle, (select,)) if selected else ref)
        return CallResult(value, cpu_s, reply.get("args_after"), reply.get("kwargs_after"), reply.get("args_ref"), selected)

    def get_attribute(self, target: Ref, name: str, label: str) -> tuple[bool, Any]:
        """(True, None) for a method, else (False, the attribute's value) of an object the worker holds."""
        reply = self._request(label, {"op": "getattr", "target": target, "name": name}, replies.attribute)
        if reply["callable"]:
            return True, None
        self._remember(reply["value"], reply["ref"])
        return False, reply["value"]

    def set_attribute(self, target: Ref, name: str, value: Any, label: str) -> None:
        message = {"op": "setattr", "target": target, "name": name, "value": self._outgoing_one(value)}
        self._request(label, message, replies.DONE)

    def fetch(self, fn: str, ref: Ref) -> Any:
        """The current value of something the worker holds (e.g. arguments of an earlier call)."""
        return self._request(fn, {"op": "fetch", "ref": ref}, replies.VALUE)["value"]

    def batch(
        self, fn: str, args: tuple, kwargs: dict, perturb: list[tuple[int, int, float]], select: int | None,
        target: Ref | None = None, label: str = "",
    ) -> list:
        """fn evaluated on perturbed copies of args, each result selected by `select` (see worker.op_batch);
        named `label` in messages, and stopped after a hang or crash, as a single call of it is."""
        label = label or fn
        message = {
            "op": "batch",
            "fn": fn,
            "target": target,
            "args": self._outgoing(args),
            "kwargs": {k: self._outgoing_one(v) for k, v in kwargs.items()},
            "perturb": perturb,
            "select": select,
        }

        def run(worker: Worker) -> list:
            values = []
            for reply in worker.stream(message, len(perturb), self._bounded(self.timeout)):
                if not replies.check(replies.VALUE, reply)["ok"]:
                    raise describe_raised(label, reply["raised"], self.config.memory_mb)
                values.append(reply["value"])
                if self.out_of_time():
                    worker.kill()  # its remaining evaluations would arrive as stale replies
                    raise WorkerTimeout(self.budget_s)
            return values

        return self._exchange(label, run)

    def torch(self, action: str, label: str, request: dict) -> dict:
        """A PyTorch-track operation on a worker-held module (see grader.sandbox.torch_ops)."""
        message = {
            "op": "torch",
            "action": action,
            **request,
            "args": self._outgoing(tuple(request.get("args", ()))),
            "kwargs": {k: self._outgoing_one(v) for k, v in request.get("kwargs", {}).items()},
            "inputs": {k: self._outgoing_one(v) for k, v in request.get("inputs", {}).items()},
        }
        reply = self._request(label, message, replies.TORCH[action], drops=True)
        if isinstance(reply.get("ref"), Ref):
            self._remember(reply.get("value"), reply["ref"])
        return reply

    def _request(self, label: str, message: dict, shape: replies.Shape, *, drops: bool = False) -> dict:
        """One request whose reply must have `shape`; the candidate's exception comes back as an outcome.

        `drops` sends the release of the last check's values along (see _with_drops).
        """
        return self.measured(label, message, shape, drops=drops)[0]

    def measured(
        self, label: str, message: dict | bytes, shape: replies.Shape, *, drops: bool = False
    ) -> tuple[dict, float]:
        """As _request, with the worker's CPU seconds over the request: the kernel's count, read from here,
        since nothing the worker says about time can be believed (see grader.sandbox.meter). A message
        already encoded (bytes, see Worker.request) is sent as it is, without drops."""

        message = self._with_aliases(message)

        def run(worker: Worker) -> tuple[dict, float]:
            sent = self._with_drops(message) if drops else message
            before = worker.meter.cpu_s()
            reply = replies.check(shape, worker.request(sent, self._bounded(self.timeout)))
            try:
                return reply, worker.meter.cpu_s() - before
            except ProcessGone:
                raise WorkerDied(None, "it ended right after answering") from None

        reply, cpu_s = self._exchange(label, run)
        if not reply["ok"]:
            raise describe_raised(label, reply["raised"], self.config.memory_mb)
        return reply, cpu_s

    def _with_aliases(self, message: dict | bytes) -> dict | bytes:
        """A call of a module function whose signature uses another year's keyword names gets them (load()
        found which), from any caller: a check, or the speed row's workload."""
        if not isinstance(message, dict) or message.get("op") != "call" or message.get("target") is not None:
            return message
        renamed = self._renamed.get(message.get("fn"), {})
        if renamed:
            message["kwargs"] = {renamed.get(k, k): v for k, v in message["kwargs"].items()}
        return message

    def release(self, refs: list[Ref]) -> None:
        """Let the worker forget these values, with the next request that sends drops along."""
        self._to_drop.extend(ref.handle for ref in refs)

    def _with_drops(self, message: dict) -> dict:
        """Values the last check kept are released by the next request, without a round trip of their own."""
        message["drop"], self._to_drop = self._to_drop, []
        return message

    def out_of_time(self) -> bool:
        return time.monotonic() > self._out_of_time_at

    def _bounded(self, seconds: float) -> float:
        """A timeout that ends by the grading's deadline: a call (or a reload) near the end gets what is left of
        the budget, not a full timeout of its own on top of it."""
        return max(MIN_CALL_S, min(seconds, self._out_of_time_at - time.monotonic()))

    def _exchange(self, fn: str, action: Any) -> Any:
        if fn in self._broken:
            raise NotRun(f"not run: {fn} {self._broken[fn]} earlier")
        if self.out_of_time():
            raise NotRun(f"not run: the grading used up its time budget ({self.budget_s:g} s; `--timeout` scales it)")
        self._ensure_loaded()
        worker = self._worker
        received = worker.received
        try:
            result = action(worker)
        except WorkerTimeout as exc:
            self._broken[fn] = f"timed out after {exc.seconds:g} s"
            cut = " (what was left of the grading's time budget)" if exc.seconds < self.timeout else ""
            raise CandidateCrashed(
                f"{fn} did not return within {exc.seconds:g} s{cut} (an endless loop? `--timeout` raises the limit); "
                "its remaining checks are not run"
            ) from None
        except WorkerDied as exc:
            self._broken[fn] = "crashed the worker"
            raise CandidateCrashed(f"{exc} while running {fn}; its remaining checks are not run") from None
        except ProtocolError as exc:
            self._broken[fn] = "returned something unreadable"
            if self._worker is not None:
                self._worker.kill()
            raise CandidateCrashed(f"{fn}: {exc}") from None
        self._check_bytes += worker.received - received
        if self._check_bytes > CHECK_REPLY_BYTES:
            raise CandidateCrashed(
                f"{fn}: your code sent back {mib(self._check_bytes)} within one check, more than the "
                f"{mib(CHECK_REPLY_BYTES)} a check may receive (results far larger than the spec's)"
            )
        return result

    def _ensure_loaded(self) -> None:
        if self._worker is not None and self._worker.alive and self._loaded:
            return
        result = self.load()
        if not result.ok:
            raise CandidateCrashed("the file could not be loaded again after the worker was restarted")

    # ----------------------------------------------------------------- identity of returned values
    def _remember(self, value: Any, ref: Ref) -> None:
        """Values handed back later (a cache, say) travel as references to the worker's original object."""
        self._register(value, ref)
        if type(value) in (tuple, list):
            for i, item in enumerate(value):
                self._register(item, Ref(ref.handle, (i,)))

    def adopt(self, stand_in: Any, ref: Ref) -> None:
        """A grader-side stand-in (e.g. a RemoteObject) for a worker value: passing it sends the reference."""
        self._origins[id(stand_in)] = (stand_in, self.generation, ref)

    def _register(self, value: Any, ref: Ref) -> None:
        if isinstance(value, (list, dict, Opaque)) or (type(value) is tuple and value) or hasattr(value, "__array__"):
            self._origins[id(value)] = (value, self.generation, ref)

    def _outgoing(self, args: tuple) -> tuple:
        return tuple(self._outgoing_one(a) for a in args)

    def _outgoing_one(self, value: Any) -> Any:
        if id(value) not in self._origins:
            return value.ref if isinstance(value, Opaque) else value
        _, generation, ref = self._origins[id(value)]
        if generation != self.generation:
            raise NotRun("not run: this value came from a worker process that has since been restarted")
        return ref
