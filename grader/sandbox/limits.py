"""How much one reply from the worker may cost the grader, checked before and after it is decoded.

Every byte of a reply is written by candidate code (it can patch the worker), so a reply may be built to
hurt the process that reads it. Each request gets a byte budget (`default_budget`, or the caller's own),
and three checks hold the grader's memory to it:

1. the frame header's length, before a byte of the body is read (`grader.sandbox.client`);
2. the pickle's opcodes, before they are decoded (`check_pickle`): a few bytes of pickle can ask for far
   more memory than they take (an empty set is 1 byte of pickle and 216 bytes of memory; a memo index is
   5 bytes and makes the unpickler allocate 16 bytes for every index below it), so the scan adds up what
   decoding will allocate and refuses the frame when that exceeds the budget;
3. the decoded value, before any check reads it (`check_plain`): walked the way a check would walk it, a
   shared part counted once per reference, so a pickle that repeats one large array thousands of times
   through memo references, nests lists thousands deep or builds a cycle is refused here instead of
   being copied by np.asarray. The walk also admits only plain data (and well-formed Ref/Opaque markers).

Both passes look at the clock every few thousand steps: the per-call deadline covers decoding too.
"""

from __future__ import annotations

import pickletools
import time
from collections.abc import Iterator
from typing import Any

from grader.sandbox.protocol import Opaque, ProtocolError, Ref, TensorArg
from grader.sandbox.replies import MAX_TEXT

MIN_BUDGET = 64 * 2**20
ARGS_FACTOR = 8  # a result is rarely more than a few times the size of the arrays it was computed from

MAX_DEPTH = 64  # the worker sends at most 6 levels of containers (worker.MAX_DEPTH), plus a Ref's path

# What decoding costs, in bytes of the grader's memory (upper estimates on 64-bit CPython).
OPCODE_COST = 64  # a small object, a slot on the unpickler's stack, a mark
OBJECT_COST = 256  # a container or an instance: an empty set alone is 216 bytes
MEMO_SLOT_COST = 16  # the unpickler grows its memo to twice the highest index, 8 bytes an entry
TEXT_FACTOR = 4  # one byte of UTF-8 can become four bytes of str (a single astral character widens all)
VISIT_COST = 64  # the walk: what one more reference to a value costs a check that copies it

_CHECK_CLOCK_EVERY = 1 << 14


def default_budget(message: Any) -> int:
    """max(64 MiB, 8 × the bytes of the request's arrays): a budget no honest reply comes near."""
    return max(MIN_BUDGET, ARGS_FACTOR * array_bytes(message))


def array_bytes(value: Any) -> int:
    """The bytes of the arrays in a structure of tuples, lists and dicts (tensors' arrays included)."""
    import numpy as np

    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, TensorArg):
            stack.append(item.array)
        elif isinstance(item, np.ndarray):
            total += item.nbytes
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return total


def mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB" if size >= 2**20 else f"{size:,} bytes"


def _too_large(what: str, budget: int) -> ProtocolError:
    return ProtocolError(f"the reply is too large: {what}, more than the {mib(budget)} this call may send back")


# ----------------------------------------------------------------------------- the pickle, before decoding
_LINES, _LENGTH_WIDTH = -1, {-2: (1, False), -3: (4, True), -4: (4, False), -5: (8, False)}
_TEXT_OPCODES = frozenset(b"STUVX\x8c\x8d")  # strings decoded to str
_OBJECT_OPCODES = frozenset(b"]}\x8fldt\x91R")  # containers, and objects built by a constructor
_MEMO_PUT = frozenset(b"pqr")  # PUT (a decimal line), BINPUT (1 byte), LONG_BINPUT (4 bytes): an index
_PUT, _MEMOIZE, _FRAME, _STOP = ord("p"), 0x94, 0x95, ord(".")
# Plain data is built by constructors (REDUCE on the few allowed callables), never by these: BUILD would call
# __setstate__ on whatever is built (NumPy's takes a shape and allocates it), the instance opcodes bypass
# __init__, and persistent ids, extensions and out-of-band buffers have no place in a reply.
_REFUSED = {ord(op.code): op.name for op in pickletools.opcodes if op.name in {
    "BUILD", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER",
    "READONLY_BUFFER",
}}  # fmt: skip
_ARGS: list[int | None] = [None] * 256
for _op in pickletools.opcodes:
    _ARGS[ord(_op.code)] = None if ord(_op.code) in _REFUSED else _op.arg.n if _op.arg else 0


def check_pickle(data: bytes | bytearray, budget: int, deadline: float | None = None) -> None:
    """Refuse a pickle whose decoding would allocate more than `budget` bytes (or that is cut short).

    Reads opcodes and their arguments' lengths only; nothing is decoded. Raises ProtocolError, or
    TimeoutError once `deadline` (time.monotonic) has passed.
    """
    cost, memo, pos, end, steps = 0, 0, 0, len(data), 0
    while True:
        if pos >= end:
            raise ProtocolError("the reply ends in the middle of a value (a truncated frame)")
        code, start = data[pos], pos + 1
        size = _ARGS[code]
        if size is None:
            what = f"opcode {_REFUSED[code]}" if code in _REFUSED else f"unknown opcode 0x{code:02x}"
            raise ProtocolError(f"the reply is not a pickle of plain data ({what} at byte {pos})")
        if size >= 0:
            pos = start + size
        elif size == _LINES:
            pos = start
            for _ in range(2 if code in b"ci" else 1):
                newline = data.find(b"\n", pos)
                if newline < 0:
                    raise ProtocolError("the reply ends in the middle of a value (a truncated frame)")
                pos = newline + 1
        else:
            width, signed = _LENGTH_WIDTH[size]
            length = int.from_bytes(data[start : start + width], "little", signed=signed)
            if length < 0:
                raise ProtocolError(f"the reply is not a pickle of plain data (negative length at byte {start})")
            pos = start + width + length
        if pos > end:
            raise ProtocolError("the reply ends in the middle of a value (a truncated frame)")
        cost += OBJECT_COST if code in _OBJECT_OPCODES else OPCODE_COST
        if size < 0:  # a line or a counted run of bytes: it becomes a str, bytes or int of about that size
            cost += (pos - start) * (TEXT_FACTOR if code in _TEXT_OPCODES else 1)
        if code == _FRAME:
            cost += int.from_bytes(data[start:pos], "little")  # the unpickler copies each frame before reading it
        elif code == _MEMOIZE:
            memo += 1
        elif code in _MEMO_PUT:
            memo = max(memo, _memo_index(data[start:pos], code) + 1)
        if cost + memo * MEMO_SLOT_COST > budget:
            raise _too_large(f"decoding it would take over {mib(cost + memo * MEMO_SLOT_COST)}", budget)
        if code == _STOP:
            return
        steps += 1
        if steps % _CHECK_CLOCK_EVERY == 0 and deadline is not None and time.monotonic() > deadline:
            raise TimeoutError


def _memo_index(argument: bytes | bytearray, code: int) -> int:
    if code != _PUT:
        return int.from_bytes(argument, "little")
    try:
        return int(argument.strip())
    except ValueError:
        raise ProtocolError("the reply is not a pickle of plain data (a malformed memo index)") from None


# ----------------------------------------------------------------------------- the value, after decoding
_LEAVES = frozenset({type(None), bool, int, float, complex, str, bytes})


def check_plain(value: Any, budget: int, deadline: float | None = None) -> None:
    """Refuse anything but plain data, nested at most MAX_DEPTH deep, of at most `budget` bytes as read.

    Every reference is a visit: a value shared through the pickle's memo costs once per place it appears,
    as it will when a check converts the reply. Depth-first with one iterator per level, so the walk's
    own memory is O(depth) however wide or cyclic the value is.
    """
    import numpy as np

    cost, steps = 0, 0
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        item = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
            continue
        kind = type(item)
        cost += VISIT_COST
        if kind in _LEAVES:
            cost += len(item) if kind in (str, bytes) else 0
        elif kind in (np.ndarray, np.matrix) or isinstance(item, np.generic):
            if item.dtype.hasobject:
                raise ProtocolError("the reply holds an array of Python objects, which is not plain data")
            cost += item.nbytes
        elif kind is Ref or kind is Opaque:
            _check_marker(item)
        elif kind in (tuple, list, dict):
            if len(stack) > MAX_DEPTH:
                raise ProtocolError(f"the reply is too deep: containers nested more than {MAX_DEPTH} levels")
            cost += 8 * len(item)
            if kind is dict:
                if any(type(key) not in (str, int) for key in item):
                    raise ProtocolError("the reply holds a dict whose keys are not all strings or integers")
                item = item.values()
            stack.append(iter(item))
        else:
            raise ProtocolError(f"the reply holds a {kind.__name__}, which is not plain data")
        if cost > budget:
            raise _too_large(f"read as a check reads it, over {mib(cost)}", budget)
        steps += 1
        if steps % _CHECK_CLOCK_EVERY == 0 and deadline is not None and time.monotonic() > deadline:
            raise TimeoutError


_DONE = object()


def _check_marker(marker: Ref | Opaque) -> None:
    """A Ref or Opaque is rebuilt field by field from the pickle: exactly its fields, of their types."""
    if isinstance(marker, Opaque):
        if vars(marker).keys() != {"type_name", "ref"} or type(marker.type_name) is not str or type(marker.ref) is not Ref:
            raise ProtocolError("the reply holds a malformed Opaque marker (expected a type name and a Ref)")
        if len(marker.type_name) > MAX_TEXT:
            raise ProtocolError(f"the reply holds an Opaque marker whose type name is over {MAX_TEXT} characters")
        marker = marker.ref
    if (
        vars(marker).keys() != {"handle", "path"}
        or type(marker.handle) is not int
        or type(marker.path) is not tuple
        or len(marker.path) > MAX_DEPTH
        or any(type(key) not in (int, str) for key in marker.path)
    ):
        raise ProtocolError("the reply holds a malformed Ref (expected an integer handle and a short path of keys)")
