"""The wire between the grader and its worker process.

Frames are length-prefixed pickles. The grader trusts what it sends, but never what comes back: the worker
runs candidate code, which may have replaced anything inside that process, so replies are decoded with an
unpickler that only rebuilds plain data (numbers, strings, containers, NumPy arrays) and the two marker
classes below. A reply that names anything else is refused, so no reply can run code in the grader, and
`grader.sandbox.limits` holds what decoding one may cost to the request's byte budget.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct(">Q")
PICKLE_PROTOCOL = 5


@dataclass(frozen=True)
class Ref:
    """Names a value that stays in the worker: result `handle`, then `path` (indices/keys) into it."""

    handle: int
    path: tuple = ()

    def __reduce__(self) -> tuple:
        return Ref, (self.handle, self.path)  # rebuilt through __init__: the grader's unpickler allows no BUILD


@dataclass(frozen=True)
class Opaque:
    """Stands in for a candidate object that is not plain data (a class instance, a closure ...).

    The grader cannot look inside it, but can hand it back to the candidate through `ref`, which is how
    a cache of any type reaches the backward pass.
    """

    type_name: str
    ref: Ref

    def __reduce__(self) -> tuple:
        return Opaque, (self.type_name, self.ref)


@dataclass(frozen=True)
class TensorArg:
    """Grader to worker only: an array the worker turns into a torch tensor before the candidate sees it.

    `requires_grad` makes it a leaf whose gradient the worker can report back (PyTorch track).
    """

    array: Any
    requires_grad: bool = False
    dtype: str | None = None  # e.g. "float64"; None keeps the array's dtype


_SAFE_GLOBALS = {
    ("builtins", "complex"),
    (__name__, "Ref"),
    (__name__, "Opaque"),
    (__name__, "_array"),
    (__name__, "_scalar"),
}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame of plain data."""


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise ProtocolError(f"the worker sent an object of type {module}.{name}, which is not plain data")


# ----------------------------------------------------------------------------- arrays on the wire
# NumPy's own pickles rebuild arrays through functions that allocate whatever shape they are given and
# through dtype.__setstate__, which takes any state: the grader must not run those on the worker's say-so.
# Arrays and NumPy scalars therefore travel as (dtype string, shape, raw bytes), rebuilt by _array and
# _scalar below, which only ever view the bytes the frame carried.


def is_plain_dtype(dtype: Any) -> bool:
    """A dtype of numbers, booleans, strings or dates: no Python objects, no fields, no sub-arrays."""
    return not dtype.hasobject and dtype.fields is None and dtype.subdtype is None and dtype.itemsize > 0


def _wire_dtype(text: Any) -> Any:
    import numpy as np

    if type(text) is not str or len(text) > 32:
        raise ProtocolError("the reply holds an array whose dtype is not a short dtype string")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        raise ProtocolError(f"the reply holds an array of unknown dtype {text!r}") from None
    if not is_plain_dtype(dtype):
        raise ProtocolError(f"the reply holds an array of dtype {text!r}, which is not plain data")
    return dtype


def _array(dtype: str, shape: tuple, fortran: bool, matrix: bool, data: bytes | bytearray) -> Any:
    """An array viewing `data`, which must hold exactly shape × itemsize bytes (bytearray: writable)."""
    import numpy as np

    dtype = _wire_dtype(dtype)
    if type(shape) is not tuple or len(shape) > 64 or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError("the reply holds an array with a malformed shape")
    if type(data) not in (bytes, bytearray) or len(data) != math.prod(shape) * dtype.itemsize:
        raise ProtocolError(f"the reply holds a {shape} {dtype} array whose data is not {math.prod(shape) * dtype.itemsize:,} bytes")
    flat = np.frombuffer(data, dtype)
    array = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    return array.view(np.matrix) if matrix and array.ndim == 2 else array


def _scalar(dtype: str, data: bytes) -> Any:
    import numpy as np

    dtype = _wire_dtype(dtype)
    if type(data) is not bytes or len(data) != dtype.itemsize:
        raise ProtocolError(f"the reply holds a {dtype} scalar whose data is not {dtype.itemsize} bytes")
    return np.frombuffer(data, dtype)[0]


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        import numpy as np

        kind = type(obj)
        if kind in (np.ndarray, np.matrix) and is_plain_dtype(obj.dtype):
            fortran = obj.ndim > 1 and obj.flags.f_contiguous and not obj.flags.c_contiguous
            data = np.ascontiguousarray(obj.T if fortran else obj)
            return _array, (obj.dtype.str, obj.shape, fortran, kind is np.matrix, pickle.PickleBuffer(data))
        if isinstance(obj, np.generic) and is_plain_dtype(obj.dtype):
            return _scalar, (obj.dtype.str, obj.tobytes())
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """One frame: the pickle's length, then the pickle (arrays as raw bytes, see _array)."""
    buffer = io.BytesIO()
    buffer.write(bytes(HEADER.size))
    _Pickler(buffer, protocol=PICKLE_PROTOCOL).dump(obj)
    size = buffer.tell() - HEADER.size
    buffer.seek(0)
    buffer.write(HEADER.pack(size))
    return buffer.getvalue()


class _FrameReader:
    """A file over the received frame, so the unpickler copies array data once, straight from it."""

    def __init__(self, data: bytes | bytearray) -> None:
        self._data, self._view, self._pos = data, memoryview(data), 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(self._pos + size, len(self._view))
        chunk, self._pos = bytes(self._view[self._pos : end]), end
        return chunk

    def readinto(self, target: Any) -> int:
        target = memoryview(target).cast("B")
        chunk = self._view[self._pos : self._pos + len(target)]
        target[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def readline(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        return self.read(-1 if end < 0 else end + 1 - self._pos)


def loads_untrusted(payload: bytes | bytearray, budget: int | None = None, deadline: float | None = None) -> Any:
    """Decode a frame from the worker: plain data within `budget` bytes, or ProtocolError.

    `grader.sandbox.limits` checks the pickle before decoding and the value after; TimeoutError means
    `deadline` (time.monotonic) passed while decoding.
    """
    from grader.sandbox import limits

    budget = limits.MIN_BUDGET if budget is None else budget
    limits.check_pickle(payload, budget, deadline)
    try:
        value = _PlainDataUnpickler(_FrameReader(payload)).load()
    except ProtocolError:
        raise
    except Exception as exc:  # a forged frame can fail in many ways inside pickle/numpy
        raise ProtocolError(f"unreadable reply from the worker ({type(exc).__name__}: {exc})") from None
    limits.check_plain(value, budget, deadline)
    return value


def loads_trusted(payload: bytes) -> Any:
    """Decode a frame from the grader (used by the worker, which trusts its parent)."""
    return pickle.loads(payload)
