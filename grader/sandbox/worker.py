"""The worker process: the only place where candidate code runs.

Started by `grader.sandbox.client.Worker` as `python -m grader.sandbox.worker`. It reads requests on
its stdin and writes replies on its stdout, but first moves both to private descriptors: the candidate's
`print`, `input()` and stray writes to fd 1/2 land in the captured-output pipe (or read EOF), never in the
protocol. Everything here can be monkeypatched by the candidate, so the worker only *runs* code and
ships results back as plain data; every judgement is made by the grader on its side of the pipe.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import resource
import sys
import time
import traceback
from types import ModuleType
from typing import Any

from grader.sandbox import guard, held, lockdown
from grader.sandbox.protocol import HEADER, Opaque, Ref, TensorArg, dumps, is_plain_dtype, loads_trusted
from grader.sandbox.limits import array_bytes
from grader.sandbox.replies import MAX_TEXT

# Captured before any candidate import, so a candidate that patches time.perf_counter cannot skew timings.
_clock = time.perf_counter

MAX_DEPTH = 6
MAX_ITEMS = 10_000
# Modules whose classes are named without their module in what the grader shows: the candidate's module, and
# for a file of a package, its dotted name (`cs231n.classifiers.fc_net.FullyConnectedNet` reads as the class).
_CANDIDATE_MODULES = {"builtins", "", "candidate"}


class _Channel:
    """Blocking frame reader/writer on the private protocol descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd

    def receive(self) -> Any:
        header = self._read_exact(HEADER.size)
        if header is None:
            return None
        (size,) = HEADER.unpack(header)
        return loads_trusted(self._read_exact(size) or b"")

    def send(self, message: dict) -> None:
        data = memoryview(dumps(message))
        while data:
            written = os.write(self.write_fd, data)
            data = data[written:]

    def _read_exact(self, size: int) -> bytes | None:
        chunks, remaining = [], size
        while remaining:
            chunk = os.read(self.read_fd, min(remaining, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


def isolate_stdio() -> _Channel:
    channel = _Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # candidate stdout joins stderr in the capture pipe the grader drains
    return channel


def _apply_limits(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass  # an already lower hard limit stays in force


def _type_name(obj: Any) -> str:
    cls = type(obj)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return (name if module in _CANDIDATE_MODULES else f"{module}.{name}")[:MAX_TEXT]


class Worker:
    def __init__(self, channel: _Channel) -> None:
        self.channel = channel
        self.candidate: ModuleType | None = None
        self.sandbox: dict | None = None  # what lockdown.lock_down put in force
        self.results: dict[int, Any] = {}
        self.next_handle = 1
        self.package_root: str | None = None  # the candidate's package tree, when its file belongs to one

    # ----------------------------------------------------------------- encoding
    def encode(self, obj: Any, ref: Ref, depth: int = 0) -> Any:
        """Plain data goes by value; anything else stays here and travels as an Opaque reference."""
        import numpy as np

        if obj is None or type(obj) in (bool, int, float, complex, str, bytes):
            return obj
        if (type(obj) in (np.ndarray, np.matrix) or isinstance(obj, np.generic)) and is_plain_dtype(obj.dtype):
            return obj
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.Tensor) and not obj.is_complex():
            # A tensor travels as a NumPy copy of its values; the tensor itself (with its autograd graph)
            # stays here, so passing the array back hands the candidate the original tensor.
            from grader.sandbox.torch_ops import to_numpy

            return to_numpy(obj)
        # Subclasses (namedtuple, OrderedDict, defaultdict ...) travel as the plain container, read through
        # the base class's own methods; the original object stays here for when it is passed back.
        if depth < MAX_DEPTH and isinstance(obj, (tuple, list)) and len(obj) <= MAX_ITEMS:
            items = [self.encode(item, Ref(ref.handle, ref.path + (i,)), depth + 1) for i, item in enumerate(obj)]
            return tuple(items) if isinstance(obj, tuple) else items
        if depth < MAX_DEPTH and isinstance(obj, dict) and len(obj) <= MAX_ITEMS:
            pairs = list(dict.items(obj))
            if all(type(k) in (str, int) for k, _ in pairs):
                return {k: self.encode(v, Ref(ref.handle, ref.path + (k,)), depth + 1) for k, v in pairs}
        return Opaque(_type_name(obj), ref)

    def outline(self, obj: Any, ref: Ref, depth: int = 0) -> Any:
        """Only the containers travel, every other value as an Opaque reference: the speed row's timed calls
        send back no data, and the grader can still unpack `out, cache = ...` and pass the parts on."""
        if depth < MAX_DEPTH and isinstance(obj, (tuple, list)) and len(obj) <= MAX_ITEMS:
            items = [self.outline(item, Ref(ref.handle, ref.path + (i,)), depth + 1) for i, item in enumerate(obj)]
            return tuple(items) if isinstance(obj, tuple) else items
        if depth < MAX_DEPTH and isinstance(obj, dict) and len(obj) <= MAX_ITEMS:
            pairs = list(dict.items(obj))
            if all(type(k) in (str, int) for k, _ in pairs):
                return {k: self.outline(v, Ref(ref.handle, ref.path + (k,)), depth + 1) for k, v in pairs}
        return Opaque(_type_name(obj), ref)

    def resolve(self, obj: Any) -> Any:
        if isinstance(obj, Ref):
            if obj.handle not in self.results:
                raise LookupError("stale reference: that value belonged to an earlier worker process")
            value = self.results[obj.handle]
            for key in obj.path:
                value = value[key]
            return value
        if isinstance(obj, Opaque):
            return self.resolve(obj.ref)
        if isinstance(obj, TensorArg):
            from grader.sandbox.torch_ops import to_tensor

            return to_tensor(obj)
        if type(obj) in (tuple, list):
            return type(obj)(self.resolve(item) for item in obj)
        if type(obj) is dict:
            return {k: self.resolve(v) for k, v in obj.items()}
        return obj

    def keep(self, value: Any) -> Ref:
        handle = self.next_handle
        self.next_handle += 1
        self.results[handle] = value
        return Ref(handle)

    # ----------------------------------------------------------------- failures
    def describe_exception(self, exc: BaseException) -> dict:
        """The candidate's exception as plain text, pointing at the candidate's own lines."""
        try:
            message = str(exc)
        except Exception:  # a hostile __str__
            message = "<exception message could not be rendered>"
        frames = []
        candidate_file = getattr(self.candidate, "__file__", None)
        for frame in traceback.extract_tb(exc.__traceback__):
            where = self._own_frame(frame.filename, candidate_file)
            if where is not None:
                function = frame.name if not where else f"{frame.name} of {where}"
                frames.append({"line": frame.lineno, "function": function[:MAX_TEXT], "code": (frame.line or "").strip()[:MAX_TEXT]})
        return {
            "type": type(exc).__name__[:MAX_TEXT],
            "message": message[:MAX_TEXT],
            "frames": frames[-5:],
            "is_exit": isinstance(exc, SystemExit),
            "is_not_implemented": isinstance(exc, NotImplementedError),
        }

    def _own_frame(self, filename: str, candidate_file: str | None) -> str | None:
        """'' for a frame of the candidate's file, its path in the package for another file of the candidate's
        package (the layers.py a fc_net.py uses), None for anyone else's."""
        if filename == candidate_file:
            return ""
        if self.package_root and filename.startswith(self.package_root + os.sep):
            return os.path.relpath(filename, os.path.dirname(self.package_root))
        return None

    # ----------------------------------------------------------------- operations
    def op_lockdown(self, request: dict) -> dict:
        """Confine this process before any candidate code runs; the reply is the last one that code cannot forge.

        The kernel's limits (lockdown.py) hold whatever the candidate does; the audit hook (guard.py) adds
        the problem's import constraint, and stands in for the file limits where the kernel has no Landlock.
        """
        if self.sandbox is None:
            forbidden = request.get("forbidden", ())
            unreadable = [*request["forbidden_trees"], *lockdown.package_dirs(forbidden)]
            self.sandbox = lockdown.lock_down(request["readable"], unreadable)
            guard.install(
                request.get("protected", ()), request["readable"][0], forbidden, request.get("track", ""),
                confine=bool(lockdown.missing_protections(self.sandbox)),
            )
        return {"ok": True, "sandbox": self.sandbox}

    def op_load(self, request: dict) -> dict:
        if self.sandbox is None:
            return {"ok": False, "raised": {"type": "SandboxError", "message": "the worker was not locked down"}}
        sys.dont_write_bytecode = True  # never leave __pycache__ folders beside the candidate's file
        package = request.get("package")
        try:
            if package is not None:
                self.package_root = package["root"]
                self.candidate = self._import_from_package(package["root"], package["module"])
            else:
                self.candidate = self._import(request["candidate"], "candidate")
        except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt at import are the candidate's too
            return {"ok": False, "raised": self.describe_exception(exc)}
        return {"ok": True, "functions": {name: self._signature(name) for name in request["functions"]}}

    @staticmethod
    def _import(path: str, name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.insert(0, folder)
        # Registered while it runs, as an import registers a module: @dataclass under
        # `from __future__ import annotations` looks its module up in sys.modules.
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module

    @staticmethod
    def _import_from_package(root: str, dotted: str) -> ModuleType:
        """The candidate's module as `dotted` (e.g. cs231n.classifiers.fc_net) of the package at `root`.

        The top package is registered from its folder, not found through sys.path: its parent folder is not
        readable here. Its submodules are found the usual way, through the package's __path__.
        """
        top = dotted.split(".")[0]
        if any(name == top or name.startswith(top + ".") for name in sys.modules):
            raise ImportError(f"the package is named {top!r}, like a module the grader's worker uses; rename the folder to grade it")
        spec = importlib.util.spec_from_file_location(top, os.path.join(root, "__init__.py"), submodule_search_locations=[root])
        module = importlib.util.module_from_spec(spec)
        sys.modules[top] = module
        _CANDIDATE_MODULES.add(dotted)
        spec.loader.exec_module(module)
        return importlib.import_module(dotted)

    def _signature(self, name: str) -> dict | None:
        fn = getattr(self.candidate, name, None)
        if fn is None:
            return None
        if not callable(fn):
            return {"callable": False, "type": _type_name(fn)}
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return {"callable": True, "params": None}
        params = [
            [p.name, int(p.kind), p.default is not inspect.Parameter.empty, repr(p.default)[:60]]
            for p in sig.parameters.values()
        ]
        return {"callable": True, "params": params}

    def _function(self, request: dict) -> Any:
        """A function of the candidate's module, or a method of an object the worker holds (`target`)."""
        owner = self.resolve(request["target"]) if request.get("target") is not None else self.candidate
        return getattr(owner, request["fn"])

    def op_getattr(self, request: dict) -> dict:
        value = getattr(self.resolve(request["target"]), request["name"])
        if callable(value) and not isinstance(value, type):
            return {"ok": True, "callable": True}
        ref = self.keep(value)
        return {"ok": True, "callable": False, "value": self.encode(value, ref), "ref": ref}

    def op_setattr(self, request: dict) -> dict:
        setattr(self.resolve(request["target"]), request["name"], self.resolve(request["value"]))
        return {"ok": True}

    def op_call(self, request: dict) -> dict:
        fn = self._function(request)
        args = self.resolve(request.get("args", ()))
        kwargs = self.resolve(request.get("kwargs", {}))
        start = _clock()
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - everything the candidate raises is reported, not obeyed
            return {"ok": False, "raised": self.describe_exception(exc), "elapsed": _clock() - start}
        elapsed = _clock() - start
        ref = self.keep(value)
        select = request.get("select")
        if select is not None:
            return self._part_of(value, ref, select, elapsed)
        encoded = self.outline(value, ref) if request.get("outline") else self.encode(value, ref)
        reply = {"ok": True, "value": encoded, "ref": ref, "elapsed": elapsed}
        if request.get("return_args"):
            # Kept too, so the grader can look again later: a backward pass may still write into x
            # through a cache that holds it.
            args_ref = self.keep(list(args))
            reply["args_after"] = self.encode(list(args), args_ref)
            reply["args_ref"] = args_ref
            reply["kwargs_after"] = self.encode(dict(kwargs), Ref(0))
        return reply

    def _part_of(self, value: Any, ref: Ref, select: int, elapsed: float) -> dict:
        """Item `select` of a returned tuple or list alone, the rest left here (`selected`); any other result whole.

        Only built-in sequences are indexed: no candidate __getitem__ runs on the grader's behalf."""
        if type(value) in (tuple, list) and type(select) is int and -len(value) <= select < len(value):
            part = self.encode(value[select], Ref(ref.handle, (select,)))
            return {"ok": True, "value": part, "ref": ref, "elapsed": elapsed, "selected": True}
        return {"ok": True, "value": self.encode(value, ref), "ref": ref, "elapsed": elapsed, "selected": False}

    def op_fetch(self, request: dict) -> dict:
        ref = request["ref"]
        return {"ok": True, "value": self.encode(self.resolve(ref), ref)}

    def op_batch(self, request: dict) -> None:
        """Evaluate fn on many perturbed copies of one argument list, streaming one reply per evaluation.

        This is what makes numerical gradient checks cheap: one request, no round trip per evaluation,
        and the grader still applies its per-call timeout to every single reply.
        """
        import numpy as np

        fn = self._function(request)
        base_args = list(self.resolve(request["args"]))
        kwargs = self.resolve(request.get("kwargs", {}))
        select = request.get("select")
        for position, flat_index, delta in request["perturb"]:
            args = list(base_args)
            arg = np.array(args[position], copy=True)
            arg.reshape(-1)[flat_index] += delta
            args[position] = arg
            try:
                value = fn(*args, **kwargs)
                if select is not None:
                    value = value[select]
                reply = {"ok": True, "value": self.encode(value, Ref(0))}
            except BaseException as exc:  # noqa: BLE001
                reply = {"ok": False, "raised": self.describe_exception(exc)}
            self.channel.send(reply)
            if not reply["ok"]:
                return

    def op_torch(self, request: dict) -> dict:
        """PyTorch-track operations (forward and backward, Jacobians, state dicts): see torch_ops."""
        from grader.sandbox import torch_ops

        return torch_ops.ACTIONS[request["action"]](self, request, _clock)

    # ----------------------------------------------------------------- the speed row (see grader.sandbox.held)
    def op_hold(self, request: dict) -> dict:
        """Keep inputs the grader built, for later requests to refer to."""
        return {"ok": True, "ref": self.keep(request["value"])}

    def op_fresh(self, request: dict) -> dict:
        """Keep a fresh variant of held inputs: what one timed run works on."""
        return {"ok": True, "ref": self.keep(held.refresh(self.resolve(request["base"]), request["factors"]))}

    def op_trim(self, request: dict) -> dict:
        """Give free heap pages back, right before a run whose peak memory the grader measures."""
        held.trim_heap()
        return {"ok": True}

    def op_sketch(self, request: dict) -> dict:
        """Sketches of results of a timed run, for the grader to compare with the reference's."""
        values = [self.resolve(ref) for ref in request["values"]]
        return {"ok": True, "sketches": [held.sketch(value, request["seed"], i) for i, value in enumerate(values)]}

    def serve(self) -> None:
        while True:
            request = self.channel.receive()
            if request is None or request.get("op") == "exit":
                return
            for handle in request.get("drop", ()):
                self.results.pop(handle, None)
            handler = getattr(self, "op_" + request["op"])
            try:
                reply = handler(request)
            except BaseException as exc:  # noqa: BLE001 - e.g. a stale reference or a bad argument
                reply = {"ok": False, "raised": self.describe_exception(exc)}
            sys.stdout.flush()
            if reply is not None:
                self.channel.send(_within(reply, request.get("budget")))


def _within(reply: dict, budget: Any) -> dict:
    """The reply, or word of its size when its arrays alone exceed the request's budget: the grader would
    refuse it unread, and serializing gigabytes first only costs the time a call is given (the grader
    still checks every frame's size itself)."""
    if type(budget) is not int:
        return reply
    size = array_bytes(reply)
    return {"ok": True, "too_large": size} if size > budget else reply


def boot() -> None:
    """The imports every worker needs, done before the candidate's code and before the lockdown."""
    import numpy  # noqa: F401 - imported before the candidate so its import time is not billed to any call

    for module in filter(None, os.environ.get("NORMKATA_WORKER_PRELOAD", "").split(",")):
        importlib.import_module(module)  # the track's framework (torch), before the guard and the candidate
        if module == "torch":
            from grader.sandbox.torch_ops import warm_up

            sys.modules["torch"].set_num_threads(1)  # as OMP_NUM_THREADS=1 asks, also in a zygote's forks
            warm_up()
    lockdown.prepare()  # its bindings are imported now: after the lockdown, only the Python installation is readable


def run(channel: _Channel) -> None:
    """Serve the grader on the private descriptors, after boot() (here or in the zygote that forked us)."""
    _apply_limits(int(os.environ.get("NORMKATA_WORKER_MEMORY_MB", "0")))
    channel.send({"ok": True, "ready": True, "pid": os.getpid()})
    Worker(channel).serve()


def main() -> None:
    channel = isolate_stdio()
    boot()
    run(channel)


if __name__ == "__main__":
    main()
