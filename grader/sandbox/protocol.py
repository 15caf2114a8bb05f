"""The wire between the grader and its worker process.

Frames are length-prefixed pickles. The grader trusts what it sends, but never what comes back: the worker
runs candidate code, which may have replaced anything inside that process, so replies are decoded with an
unpickler that only rebuilds plain data (numbers, strings, containers, NumPy arrays) and the two marker
classes below. A reply that names anything else is refused, so no reply can run code in the grader.
"""

from __future__ import annotations

import io
import pickle
import struct
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct(">Q")
MAX_FRAME = 512 * 1024 * 1024  # a reply bigger than this is a runaway result, not data worth reading
PICKLE_PROTOCOL = 5


@dataclass(frozen=True)
class Ref:
    """Names a value that stays in the worker: result `handle`, then `path` (indices/keys) into it."""

    handle: int
    path: tuple = ()


@dataclass(frozen=True)
class Opaque:
    """Stands in for a candidate object that is not plain data (a class instance, a closure ...).

    The grader cannot look inside it, but can hand it back to the candidate through `ref`, which is how
    a cache of any type reaches the backward pass.
    """

    type_name: str
    ref: Ref


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
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy", "matrix"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    (__name__, "Ref"),
    (__name__, "Opaque"),
}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame of plain data."""


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise ProtocolError(f"the worker sent an object of type {module}.{name}, which is not plain data")


def dumps(obj: Any) -> bytes:
    payload = pickle.dumps(obj, protocol=PICKLE_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def loads_untrusted(payload: bytes) -> Any:
    """Decode a frame from the worker; anything but plain data raises ProtocolError."""
    try:
        return _PlainDataUnpickler(io.BytesIO(payload)).load()
    except ProtocolError:
        raise
    except Exception as exc:  # a truncated or forged frame can fail in many ways inside pickle/numpy
        raise ProtocolError(f"unreadable reply from the worker ({type(exc).__name__}: {exc})") from None


def loads_trusted(payload: bytes) -> Any:
    """Decode a frame from the grader (used by the worker, which trusts its parent)."""
    return pickle.loads(payload)
