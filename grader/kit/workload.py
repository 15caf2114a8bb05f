"""A speed row's workload: its inputs are built in the grader, its calls are timed in the workers.

`setup(rng, *size)` runs in the grader and returns run's arguments. Arrays, and tuples, lists and dicts
holding arrays, are uploaded to each worker once and held there (`Held`: the grader keeps their shapes);
other values (ints, strings, None) are passed as they are, and a `FreshSeed()` becomes a new integer for
every timed run, the same on both sides.

`run(impl, *args)` also runs in the grader. `impl.layernorm_forward(x, gamma, beta)` is one timed request
to the side's worker, on the values it holds; the reply carries only the outline of the result
(`Result` handles in its tuples, lists and dicts), so `out, cache = ...` unpacks, the parts can be passed
to later calls, called as methods (`layer.forward(x)`) or given attributes (`net.params = params`), and
no array crosses the pipe while the clock runs. What run returns, results of its calls in any structure of
tuples, lists and dicts, is what the grader compares with the reference's results on the same inputs.

`prepare(impl, *args)`, if given, runs first and its calls are not timed (what its worker spends is still
weighed, see grader.kit.timing); what it returns is appended to run's arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.core.session import WorkerSession
from grader.sandbox import replies
from grader.sandbox.protocol import Opaque, ProtocolError, Ref


@dataclass(frozen=True)
class Workload:
    setup: Callable[..., tuple]
    run: Callable[..., Any]
    prepare: Callable[..., tuple] | None = None


class FreshSeed:
    """Among setup's values: an integer seed that changes with every timed run (for functions that draw their data)."""


def holds_arrays(value: Any) -> bool:
    """Whether `value` is uploaded and held rather than passed as it is."""
    if isinstance(value, np.ndarray):
        return True
    if type(value) in (tuple, list):
        return any(holds_arrays(v) for v in value)
    if type(value) is dict:
        return any(holds_arrays(v) for v in value.values())
    return False


class Held:
    """An input the worker holds; the grader keeps the base value it was made from, for shapes and keys."""

    def __init__(self, ref: Ref, base: Any) -> None:
        self.ref, self._base = ref, base

    def __getitem__(self, key: Any) -> Held:
        return Held(Ref(self.ref.handle, self.ref.path + (key,)), self._base[key])

    def __len__(self) -> int:
        return len(self._base)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._base.shape

    @property
    def size(self) -> int:
        return self._base.size

    @property
    def ndim(self) -> int:
        return self._base.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._base.dtype


class Calls:
    """The remote operations of one run of a workload on one side, with the CPU seconds of those made while
    `timed` (run's: a value prepare made and run calls a method of is timed then) and of the others (prepare's).

    `rename` maps the workload's function names to the side's (the relative row's variant); every value
    the calls create is listed in `refs`, for the worker to forget when the run is over.
    """

    def __init__(self, session: WorkerSession, rename: dict[str, str]) -> None:
        self.session, self.rename, self.timed = session, rename, False
        self.seconds = self.untimed_seconds = 0.0
        self.refs: list[Ref] = []

    def call(self, fn: str, target: Ref | None, args: tuple, kwargs: dict, label: str, origin: str) -> Any:
        """`label` names the call in messages about the worker; `origin` names its results (the workload's name)."""
        message = {"op": "call", "fn": fn, "target": target, "args": _wire(args), "kwargs": _wire(kwargs), "outline": True}
        reply, seconds = self.session.measured(label, message, _outline_reply)
        self._count(seconds)
        self.refs.append(reply["ref"])
        return _handles(self, reply["value"], origin)

    def set_attribute(self, target: Ref, name: str, value: Any, label: str) -> None:
        message = {"op": "setattr", "target": target, "name": name, "value": _wire(value)}
        self._count(self.session.measured(label, message, replies.DONE)[1])

    def _count(self, seconds: float) -> None:
        if self.timed:
            self.seconds += seconds
        else:
            self.untimed_seconds += seconds


class Impl:
    """What a workload's `impl` is: the side's module, each function call a request to its worker."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        fn = self._calls.rename.get(name, name)
        return lambda *args, **kwargs: self._calls.call(fn, None, args, kwargs, fn, name)


class Result:
    """A value a timed call returned, left in the worker: passed on, called as methods, given attributes."""

    def __init__(self, calls: Calls, opaque: Opaque, origin: str) -> None:
        object.__setattr__(self, "_calls", calls)
        object.__setattr__(self, "ref", opaque.ref)
        object.__setattr__(self, "type_name", opaque.type_name)
        object.__setattr__(self, "origin", origin)  # the call that returned it, by the workload's name

    @property
    def where(self) -> str:
        """'layernorm_backward's result[0]': which call returned it, and where in that call's result it sits."""
        return f"{self.origin}'s result" + "".join(f"[{key!r}]" for key in self.ref.path)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        label = f"{self.type_name}.{name}"
        return lambda *args, **kwargs: self._calls.call(name, self.ref, args, kwargs, label, label)

    def __setattr__(self, name: str, value: Any) -> None:
        self._calls.set_attribute(self.ref, name, value, f"{self.type_name}.{name}")


def results(value: Any) -> Iterator[tuple[str, Result]]:
    """The Result handles in what a run returned (dict keys in sorted order), each with its `where`."""
    if isinstance(value, Result):
        yield value.where, value
    elif type(value) in (tuple, list):
        for item in value:
            yield from results(item)
    elif type(value) is dict:
        for key in sorted(value, key=str):
            yield from results(value[key])
    else:
        raise TypeError(f"a workload's run returned {type(value).__name__}, not results of its calls")


def _wire(value: Any) -> Any:
    """Arguments as the worker reads them: held inputs and results become their references."""
    if isinstance(value, (Held, Result)):
        return value.ref
    if type(value) in (tuple, list):
        return type(value)(_wire(v) for v in value)
    if type(value) is dict:
        return {k: _wire(v) for k, v in value.items()}
    return value


def _handles(calls: Calls, outline: Any, origin: str) -> Any:
    if isinstance(outline, Opaque):
        return Result(calls, outline, origin)
    if type(outline) in (tuple, list):
        return type(outline)(_handles(calls, v, origin) for v in outline)
    return {k: _handles(calls, v, origin) for k, v in outline.items()}


def _outline(value: Any, where: str) -> None:
    """Containers whose leaves are Opaque references into the call's own result, nothing else."""
    if isinstance(value, Opaque):
        return
    if type(value) in (tuple, list):
        replies.list_of(_outline)(value, where)
    elif type(value) is dict:
        for key, item in value.items():
            if type(key) not in (str, int):
                raise ProtocolError(f"the worker sent a malformed reply: a key of {where} is not a string or an integer")
            _outline(item, f"{where}[{key!r}]")
    else:
        raise ProtocolError(f"the worker sent a malformed reply: {where} should be a reference, not data")


def _outline_reply(value: Any, where: str) -> None:
    replies.record({"value": _outline, "ref": replies.ref})(value, where)
    stack = [value["value"]]
    while stack:
        item = stack.pop()
        if isinstance(item, Opaque):
            if item.ref.handle != value["ref"].handle:
                raise ProtocolError("the worker sent a malformed reply: a reference into a value other than the call's result")
        else:
            stack.extend(item.values() if type(item) is dict else item)

