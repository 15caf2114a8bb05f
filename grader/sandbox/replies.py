"""What each worker reply must look like, checked before any part of the grader reads it.

Decoding (`protocol.loads_untrusted`) guarantees plain data within the request's byte budget; this layer
guarantees shape: `functions` maps requested names to None or a signature record, a raised exception is
a few short strings and flags, a `ref` is a Ref, a Jacobian is a matrix ... The worker may have been
rewritten by the candidate, so a reply that does not fit raises ProtocolError saying which part was wrong,
what was expected and what came; the session reports that as a broken reply (an error row), never a
traceback. Keys that no consumer reads are ignored.

The worker imports MAX_TEXT to cut its own strings to size, so an honest reply always fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from grader.sandbox.protocol import ProtocolError, Ref

MAX_TEXT = 2000  # characters of any string in a reply's fixed fields (an exception's message, a line of code)
MAX_ITEMS = 10_000  # entries of any list or dict in a reply's fixed fields (the worker's own container limit)
MAX_FRAMES = 5  # traceback lines of a raised exception (the worker keeps the last five)

Shape = Callable[[Any, str], None]  # raises ProtocolError when the value at `where` does not fit


def _describe(value: Any) -> str:
    """What came, without printing it: a reply's parts can be megabytes."""
    kind = type(value).__name__
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return f"{kind} of length {len(value):,}"
    if isinstance(value, (bool, float)) or (isinstance(value, int) and value.bit_length() < 64):
        return f"{kind} {value!r}"
    return f"a value of type {kind}"


def _wrong(where: str, wanted: str, value: Any) -> ProtocolError:
    return ProtocolError(f"the worker sent a malformed reply: {where} should be {wanted}, not {_describe(value)}")


# ----------------------------------------------------------------------------- building blocks
def anything(value: Any, where: str) -> None:
    """Any plain data (decoding already refused everything else)."""


def boolean(value: Any, where: str) -> None:
    if type(value) is not bool:
        raise _wrong(where, "True or False", value)


def integer(value: Any, where: str) -> None:
    if type(value) is not int:
        raise _wrong(where, "an integer", value)


def seconds(value: Any, where: str) -> None:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise _wrong(where, "a duration in seconds", value)


def ref(value: Any, where: str) -> None:
    if type(value) is not Ref:
        raise _wrong(where, "a reference to a value the worker holds", value)


def array(value: Any, where: str) -> None:
    import numpy as np

    if type(value) is not np.ndarray:
        raise _wrong(where, "an array", value)


def text(value: Any, where: str) -> None:
    if type(value) is not str or len(value) > MAX_TEXT:
        raise _wrong(where, f"a string of at most {MAX_TEXT} characters", value)


def optional(shape: Shape) -> Shape:
    def check(value: Any, where: str) -> None:
        if value is not None:
            shape(value, where)

    return check


def list_of(shape: Shape, limit: int = MAX_ITEMS) -> Shape:
    """A list or tuple of at most `limit` items, each of `shape`."""

    def check(value: Any, where: str) -> None:
        if type(value) not in (list, tuple) or len(value) > limit:
            raise _wrong(where, f"a list of at most {limit:,} items", value)
        for i, item in enumerate(value):
            shape(item, f"{where}[{i}]")

    return check


def fields(*shapes: Shape) -> Shape:
    """A list or tuple with exactly one item per shape, e.g. a parameter's [name, kind, has default, default]."""

    def check(value: Any, where: str) -> None:
        if type(value) not in (list, tuple) or len(value) != len(shapes):
            raise _wrong(where, f"a list of {len(shapes)} items", value)
        for i, (item, shape) in enumerate(zip(value, shapes)):
            shape(item, f"{where}[{i}]")

    return check


def dict_of(shape: Shape) -> Shape:
    """A dict of string keys, each value of `shape`."""

    def check(value: Any, where: str) -> None:
        if type(value) is not dict or len(value) > MAX_ITEMS:
            raise _wrong(where, f"a dict of at most {MAX_ITEMS:,} entries", value)
        for key, item in value.items():
            text(key, f"a key of {where}")
            shape(item, f"{where}[{key!r}]")

    return check


def record(required: dict[str, Shape], optional_keys: dict[str, Shape] | None = None) -> Shape:
    """A dict with every `required` key, each of its shape; `optional_keys` are checked when present."""

    def check(value: Any, where: str) -> None:
        if type(value) is not dict:
            raise _wrong(where, f"a dict with keys {', '.join(required) or '(any)'}", value)
        for key, shape in required.items():
            if key not in value:
                raise ProtocolError(f"the worker sent a malformed reply: {where} has no {key!r}")
            shape(value[key], f"{where}[{key!r}]")
        for key, shape in (optional_keys or {}).items():
            if value.get(key) is not None:
                shape(value[key], f"{where}[{key!r}]")

    return check


def check(shape: Shape, reply: dict) -> dict:
    """The reply, if it is a failure (already checked by `envelope`) or a success of `shape`."""
    if reply["ok"]:
        shape(reply, "the reply")
    return reply


# ----------------------------------------------------------------------------- every reply
RAISED = record({"type": text, "message": text}, {
    "frames": list_of(record({"line": integer, "function": text, "code": text}), MAX_FRAMES),
    "is_exit": boolean,
    "is_not_implemented": boolean,
})  # fmt: skip


def envelope(reply: Any) -> dict:
    """Every reply: a dict whose `ok` is a bool, and a failure carries a well-formed `raised`."""
    if type(reply) is not dict or type(reply.get("ok")) is not bool:
        raise _wrong("a reply", "a dict with 'ok': True or False", reply)
    if not reply["ok"]:
        RAISED(reply.get("raised"), "the reply's 'raised'")
    return reply


# ----------------------------------------------------------------------------- the ops' replies
def _kind(value: Any, where: str) -> None:
    if type(value) is not int or not 0 <= value <= 4:
        raise _wrong(where, "a parameter kind (0 to 4, inspect.Parameter's)", value)


PARAMETER = fields(text, _kind, boolean, text)  # name, kind, has a default, repr of the default


def _signature(value: Any, where: str) -> None:
    """None (missing), {"callable": False, "type": ...}, or {"callable": True, "params": [...] or None}."""
    if value is None:
        return
    record({"callable": boolean})(value, where)
    if value["callable"]:
        record({}, {"params": list_of(PARAMETER)})(value, where)
    else:
        record({"type": text})(value, where)


def load(names: list[str]) -> Shape:
    """The load reply: a signature (or None) for requested names only."""

    def check(value: Any, where: str) -> None:
        record({"functions": dict_of(_signature)})(value, where)
        unexpected = sorted(set(value["functions"]) - set(names))
        if unexpected:
            raise ProtocolError(f"the worker sent a malformed reply: signatures of {unexpected[:3]}, which were not asked for")

    return check


CALL = record({"value": anything, "ref": ref, "elapsed": seconds})
CALL_WITH_ARGS = record({"value": anything, "ref": ref, "elapsed": seconds, "args_after": list_of(anything), "args_ref": ref, "kwargs_after": dict_of(anything)})  # fmt: skip
CALL_PART = record({"value": anything, "ref": ref, "elapsed": seconds, "selected": boolean})  # a call with `select`
VALUE = record({"value": anything})  # fetch, and each reply of a batch
DONE = record({})  # setattr


def attribute(value: Any, where: str) -> None:
    """getattr: a method ({"callable": True}) or a value and the reference to it."""
    record({"callable": boolean})(value, where)
    if not value["callable"]:
        record({"value": anything, "ref": ref})(value, where)


def _jacobians(value: Any, where: str) -> None:
    """Names, and for each an autograd and a finite-difference Jacobian of the same (outputs, inputs) shape."""
    matrices = list_of(array)
    record({"names": list_of(text), "analytical": matrices, "numerical": matrices, "gradcheck": boolean}, {
        "gradcheck_message": text, "downcast": text,
    })(value, where)  # fmt: skip
    names, analytical, numerical = value["names"], value["analytical"], value["numerical"]
    if not len(names) == len(analytical) == len(numerical):
        raise ProtocolError(
            f"the worker sent a malformed reply: {len(names)} names for {len(analytical)} autograd and "
            f"{len(numerical)} numerical Jacobians"
        )
    for name, a, n in zip(names, analytical, numerical):
        if a.ndim != 2 or a.shape != n.shape:
            raise ProtocolError(f"the worker sent a malformed reply: the Jacobians of {name!r} are {a.shape} and {n.shape}, not one matrix shape")


def _example_value(value: Any, where: str) -> None:
    if type(value) is not dict or len(value) != 1 or not ("value" in value or "error" in value):
        raise _wrong(where, "{'value': ...} or {'error': message}", value)
    if "error" in value:
        text(value["error"], f"{where}['error']")


_SHAPE = list_of(integer, 64)
TORCH: dict[str, Shape] = {
    "forward_backward": record({"value": anything, "ref": ref, "elapsed": seconds, "ops": list_of(text)}, {
        "args_after": list_of(optional(array)), "wrong_shape": fields(_SHAPE, _SHAPE),
        "input_grads": list_of(optional(array)), "param_grads": dict_of(optional(array)),
    }),
    "jacobians": _jacobians,
    "state_dict": record({"value": dict_of(array), "parameters": list_of(text)}),
    "load_state_dict": record({"missing": list_of(text), "unexpected": list_of(text)}),
    "parameters": record({
        "is_module": boolean, "parameters": list_of(fields(text, _SHAPE, text, boolean)),
        "buffers": list_of(fields(text, _SHAPE)), "training": boolean,
    }),
    "example": record({"values": dict_of(_example_value)}),
    "script": record({"value": dict_of(anything), "ref": ref, "elapsed": seconds}),
}  # fmt: skip
