"""What a hidden suite holds when it asks for `candidate`: the candidate's functions, behind the boundary.

`candidate.layernorm_forward(x, gamma, beta)` looks like a local call; it runs in the worker and returns
plain data (arrays, tuples, dicts) plus opaque stand-ins for anything else, which can be passed back in.
"""

from __future__ import annotations

from typing import Any

from grader.core.session import CallResult, WorkerSession


class RemoteFunction:
    def __init__(self, session: WorkerSession, name: str) -> None:
        self._session, self.name = session, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self.name, args, kwargs).value

    def run(self, *args: Any, return_args: bool = False, **kwargs: Any) -> CallResult:
        """The call with its details: timing, and (with return_args) the arguments as they were afterwards."""
        return self._session.call(self.name, args, kwargs, return_args=return_args)

    def arguments_now(self, result: CallResult) -> list:
        """The arguments of an earlier `run(..., return_args=True)` as they are now, after later calls."""
        return self._session.fetch(self.name, result.args_ref)

    def default(self, parameter: str) -> str | None:
        """The repr of the default value the candidate's signature gives `parameter`, if any."""
        info = self._session.signatures.get(self.name) or {}
        for name, _, has_default, default in info.get("params") or []:
            if name == parameter and has_default:
                return default
        return None

    def batch(self, args: tuple, kwargs: dict, perturb: list[tuple[int, int, float]], select: int | None = None) -> list:
        return self._session.batch(self.name, args, kwargs, perturb, select)

    def __repr__(self) -> str:
        return f"<candidate function {self.name}>"


class Candidate:
    def __init__(self, session: WorkerSession) -> None:
        self._session = session

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteFunction(self._session, name)
