"""What a hidden suite holds when it asks for `candidate`: the candidate's functions, behind the boundary.

`candidate.layernorm_forward(x, gamma, beta)` looks like a local call; it runs in the worker and returns
plain data (arrays, tuples, dicts). Anything else the candidate returns — a class instance, a closure — comes
back as a `RemoteObject`: reading an attribute fetches its value, calling a method runs it in the worker,
setting an attribute sets it there, and passing the object to another call hands over the original.
"""

from __future__ import annotations

from typing import Any

from grader.core.session import CallResult, WorkerSession
from grader.sandbox.protocol import Opaque, Ref


def _stand_ins(session: WorkerSession, value: Any) -> Any:
    """Replace opaque values (at the top level, or directly in a returned tuple/list) with RemoteObjects."""
    if isinstance(value, Opaque):
        return RemoteObject(session, value)
    if type(value) in (tuple, list) and any(isinstance(v, Opaque) for v in value):
        return type(value)(RemoteObject(session, v) if isinstance(v, Opaque) else v for v in value)
    return value


class RemoteFunction:
    def __init__(self, session: WorkerSession, name: str, target: Ref | None = None, label: str = "") -> None:
        self._session, self.name, self._target, self.label = session, name, target, label or name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.run(*args, **kwargs).value

    def run(self, *args: Any, return_args: bool = False, select: int | None = None, **kwargs: Any) -> CallResult:
        """The call with its details: timing, and (with return_args) the arguments as they were afterwards;
        with `select`, item `select` of a returned tuple or list alone (see WorkerSession.call)."""
        result = self._session.call(
            self.name, args, kwargs, return_args=return_args, target=self._target, label=self.label, select=select
        )
        result.value = _stand_ins(self._session, result.value)
        return result

    def arguments_now(self, result: CallResult) -> list:
        """The arguments of an earlier `run(..., return_args=True)` as they are now, after later calls."""
        return self._session.fetch(self.label, result.args_ref)

    def default(self, parameter: str) -> str | None:
        """The repr of the default value the candidate's signature gives `parameter`, if any."""
        info = self._session.signatures.get(self.name) or {}
        for name, _, has_default, default in info.get("params") or []:
            if name == parameter and has_default:
                return default
        return None

    def batch(self, args: tuple, kwargs: dict, perturb: list[tuple[int, int, float]], select: int | None = None) -> list:
        return self._session.batch(self.name, args, kwargs, perturb, select, target=self._target, label=self.label)

    def __repr__(self) -> str:
        return f"<candidate function {self.label}>"


class RemoteObject:
    """A candidate object that lives in the worker (e.g. an instance of the candidate's LayerNorm class)."""

    def __init__(self, session: WorkerSession, opaque: Opaque) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "ref", opaque.ref)
        object.__setattr__(self, "type_name", opaque.type_name)
        session.adopt(self, opaque.ref)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        label = f"{self.type_name}.{name}"
        is_method, value = self._session.get_attribute(self.ref, name, label)
        if is_method:
            return RemoteFunction(self._session, name, target=self.ref, label=label)
        return _stand_ins(self._session, value)

    def __setattr__(self, name: str, value: Any) -> None:
        self._session.set_attribute(self.ref, name, value, f"{self.type_name}.{name}")

    def __repr__(self) -> str:
        return f"<candidate {self.type_name} object>"


class Candidate:
    def __init__(self, session: WorkerSession) -> None:
        self._session = session

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteFunction(self._session, name)
