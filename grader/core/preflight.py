"""Checks on the candidate's file that need no candidate code to run, and the signature check after import.

Reading and parsing happen here, in the grader: a syntax error, a file that is not UTF-8 or a forbidden
import is reported with its line without ever starting the candidate's code.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path

from grader.catalog import Problem


class LoadFailure(Exception):
    """The file cannot be graded at all; the message is the scorecard's single 'load' row."""


# The grader parses the hand-in before any limit of the worker applies: a few megabytes of source make ast
# take gigabytes and minutes. Real solutions (a whole CS231n layers.py included) are a few dozen KiB.
MAX_SOURCE_BYTES = 1 << 20


def read_source(path: Path) -> bytes:
    """The hand-in's bytes, refused beyond MAX_SOURCE_BYTES (read with a bound: the file may grow meanwhile)."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_SOURCE_BYTES + 1)
    if len(raw) > MAX_SOURCE_BYTES:
        raise LoadFailure(
            f"the file is larger than {MAX_SOURCE_BYTES // 1024} KiB: not graded (a solution here is a few KiB of "
            "source; generated or embedded data belongs elsewhere)"
        )
    return raw


def hand_in_text(path: Path) -> str:
    """The hand-in as text for the record (progress store, sessions): at most MAX_SOURCE_BYTES of it."""
    with path.open("rb") as handle:
        return handle.read(MAX_SOURCE_BYTES).decode("utf-8", errors="replace")


def source_text(path: Path) -> str:
    """The hand-in's source as Python reads it (its coding line honoured: under a UTF-7 one, what reads as
    a comment in UTF-8 can be code), for the checks that judge the text on the grader's side."""
    return _decode(read_source(path))


def check_source(problem: Problem, path: Path) -> None:
    source = source_text(path)
    if not source.strip():
        raise LoadFailure(f"the file is empty: start from the stub's signatures ({', '.join(problem.functions)})")
    try:
        tree = ast.parse(source, filename=str(path))
    except (RecursionError, MemoryError):
        raise LoadFailure("the file is nested too deeply for Python to parse") from None
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        text = f": {exc.text.strip()}" if exc.text and exc.text.strip() else ""
        raise LoadFailure(f"syntax error on {where}: {exc.msg}{text}") from None
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in problem.forbidden_imports:
                raise LoadFailure(
                    f"constraint violation on line {node.lineno}: imports {top}; this problem is "
                    f"{problem.track_name} only (NumPy and the standard library)"
                )


def _decode(raw: bytes) -> str:
    """The text Python's import reads from these bytes: a BOM or a `# -*- coding: ... -*-` line honoured, else
    UTF-8. Always by that rule, even where the bytes are valid UTF-8: under a UTF-7 coding line, what UTF-8
    shows as a comment is code that runs."""
    try:
        return importlib.util.decode_source(raw)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        error = exc
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = raw[: bad.start].count(b"\n") + 1
        raise LoadFailure(
            f"the file is not valid UTF-8: byte 0x{raw[bad.start]:02x} on line {line}; save it as UTF-8"
        ) from None
    raise LoadFailure(f"the file's coding line cannot be followed ({error}); save it as UTF-8 without one") from None


# The kernel's refusals arrive as bare errno messages; this says which rule the candidate ran into.
SANDBOX_RULES = (
    "the sandbox refused it: while grading, your code may read only its own file and the Python installation "
    "(the grader's files are off limits while grading), write no files, and start no programs, threads or connections"
)
_GRADER_MODULES = ("solutions", "problems", "grader", "hidden")


def refusal_note(raised: dict) -> str:
    """A line naming the sandbox when the candidate's exception is one of its refusals, else nothing."""
    kind, message = str(raised.get("type", "")), str(raised.get("message", ""))
    refused = kind == "PermissionError" or "can't start new thread" in message
    imported_ours = kind == "ModuleNotFoundError" and message.startswith(tuple(f"No module named '{m}" for m in _GRADER_MODULES))
    return f" — {SANDBOX_RULES}" if (refused or imported_ours) and not message.startswith("normkata:") else ""


def describe_load_error(raised: dict) -> str:
    kind, message = raised.get("type", "Error"), raised.get("message", "")
    frames = raised.get("frames") or []
    where = f" (line {frames[-1]['line']}: {frames[-1]['code']})" if frames else ""
    if raised.get("is_exit"):
        return f"the file called sys.exit({message}) while being imported{where}"
    if kind in ("Timeout", "Crash", "Sandbox"):
        return message
    return f"importing the file raised {kind}: {message}{where}{refusal_note(raised)}"


def check_functions(problem: Problem, found: dict[str, dict | None]) -> None:
    for name, spec_params in problem.functions.items():
        info = found.get(name)
        wanted = problem.signature(name)
        if info is None:
            raise LoadFailure(f"{name} is missing: define {wanted}")
        if not info.get("callable"):
            raise LoadFailure(f"{name} is {info.get('type', 'not a function')}, not a function: define {wanted}")
        problem_text = call_problem(name, spec_params, info.get("params"))
        if problem_text:
            raise LoadFailure(problem_text)


def apply_aliases(params: list, aliases: dict[str, str]) -> tuple[list, dict[str, str]]:
    """`params` (a signature's [name, kind, has_default, default]) with every alias in use renamed to our name,
    and the aliases in use ({ours: theirs}): those whose name appears and ours does not."""
    names = {p[0] for p in params}
    used = {ours: theirs for ours, theirs in aliases.items() if theirs in names and ours not in names}
    back = {theirs: ours for ours, theirs in used.items()}
    return [[back.get(p[0], p[0]), *p[1:]] for p in params], used


def call_problem(name: str, spec_params: str, params: list | None) -> str | None:
    """Can the function be called as the grader calls it: required parameters by position, defaulted by name?"""
    if params is None:
        return None
    try:
        signature = inspect.Signature(
            [
                inspect.Parameter(p_name, inspect._ParameterKind(kind), default=None if has_default else inspect.Parameter.empty)
                for p_name, kind, has_default, _ in params
            ]
        )
    except (ValueError, TypeError):
        return None  # an unusual signature (e.g. built by a decorator): let the calls speak for themselves
    spec = ast.parse(f"def f({spec_params}): pass").body[0].args
    required = len(spec.args) - len(spec.defaults)
    defaulted = [a.arg for a in spec.args[required:]]
    try:
        signature.bind(*range(required), **{k: None for k in defaulted})
    except TypeError as exc:
        shown = f"{name}({', '.join(p[0] + ('=' + p[3] if p[2] else '') for p in params)})"
        reason = str(exc)
        if "unexpected keyword argument" in reason:
            missing = reason.split("'")[-2] if "'" in reason else ""
            reason = f"it has no parameter {missing!r}"
        return f"{shown} cannot be called as the spec says, {name}({spec_params}): {reason}"
    return None
