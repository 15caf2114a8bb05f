"""Which functions of a course's files are still the template's stubs, read from the source: no code runs.

CS231n's templates keep each function's set-up and end with `return out, cache`, the result names bound
to None and a `pass` where the work goes. Called, such a stub returns (None, None): a check then fails on
a None, which says nothing useful. Read here, it is "not implemented yet", and a function that calls one
(a `FullyConnectedNet.loss` over a layers.py whose `dropout_forward` is a stub) can say which.

A function is taken for a stub when its body raises NotImplementedError, returns no value, or has a
`return` whose result (its first element, for a tuple) is None or a name the function binds to None only,
or else only to what it takes from such a name (the template's `out = out.astype(x.dtype, copy=False)`).
Only the functions a problem grades are judged, and of a class only its methods besides `__init__`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.preflight import LoadFailure, read_source

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, without those of functions, classes and lambdas defined inside it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _names(target: ast.AST) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


def _root(value: ast.AST | None) -> str | None:
    """The name an attribute, item or method call is taken from: `out` for `out.astype(x.dtype)`."""
    while isinstance(value, (ast.Attribute, ast.Subscript, ast.Call)):
        value = value.func if isinstance(value, ast.Call) else value.value
    return value.id if isinstance(value, ast.Name) else None


class _Bindings:
    """What a function binds its names to: None, something taken from another name, or anything else."""

    def __init__(self) -> None:
        self.none: set[str] = set()
        self.other: set[str] = set()
        self.taken_from: dict[str, set[str]] = {}

    def bind(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            root = _root(value)
            if _is_none(value):
                self.none.add(target.id)
            elif root is not None:
                self.taken_from.setdefault(target.id, set()).add(root)
            else:
                self.other.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            pairs = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            if pairs and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts)):
                for item, item_value in zip(target.elts, value.elts):
                    self.bind(item, item_value)
            else:
                self.other.update(_names(target))
        # a subscript or attribute target (bn_param["running_mean"] = ...) binds no name of the function

    def none_only(self) -> set[str]:
        """Names bound to None, and otherwise only to what is taken from such names: the template's
        `out = None` ... `out = out.astype(x.dtype)` is None still (it raises when called)."""
        found = self.none - self.other
        while True:
            dropped = {name for name in found if not self.taken_from.get(name, set()) <= found}
            if not dropped:
                return found
            found -= dropped


def _none_only(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names the function binds to None and to nothing else."""
    bindings = _Bindings()
    bindings.other.update(a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg))
    for node in _own_nodes(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bindings.bind(target, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            bindings.bind(node.target, node.value)
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr)):
            bindings.other.update(_names(node.target))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bindings.other.update(_names(node.optional_vars))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bindings.other.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bindings.other.add(node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings.other.add(node.name)
    return bindings.none_only()


def _raises_not_implemented(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for statement in function.body:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return True
    return False


def is_stub(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does the function still return its template's None (or raise NotImplementedError)?"""
    if _raises_not_implemented(function):
        return True
    returns = [node for node in _own_nodes(function) if isinstance(node, ast.Return)]
    if not returns:
        return True
    unset = _none_only(function)
    for node in returns:
        value = node.value
        first = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
        if value is None or _is_none(first) or (isinstance(first, ast.Name) and first.id in unset):
            return True
    return False


def stubs_of(definition: Definition) -> list[str]:
    """The definition's unwritten parts by name: the function itself, or a class's methods (`Net.loss`)."""
    if isinstance(definition, ast.ClassDef):
        return [
            f"{definition.name}.{node.name}"
            for node in definition.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("__") and is_stub(node)
        ]
    return [definition.name] if is_stub(definition) else []


@dataclass
class SourceFile:
    """One file of the package, parsed: what it defines and where the names it imports come from."""

    path: Path
    definitions: dict[str, Definition] = field(default_factory=dict)
    imported: dict[str, tuple[Path, str]] = field(default_factory=dict)  # name -> (file, its name there)
    star_imports: list[Path] = field(default_factory=list)
    parsed: bool = True


class PackageSource:
    """The files of a candidate's package, parsed on demand, for following a function to the ones it calls."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, SourceFile] = {}

    def file(self, path: Path) -> SourceFile:
        path = path.resolve()
        if path not in self._files:
            self._files[path] = self._parse(path)
        return self._files[path]

    def _parse(self, path: Path) -> SourceFile:
        parsed = SourceFile(path)
        try:  # read with the grading's own bound: a few megabytes of source make ast take gigabytes
            tree = ast.parse(read_source(path), filename=str(path))
        except (LoadFailure, OSError, SyntaxError, ValueError, RecursionError, MemoryError):  # the load row says why
            parsed.parsed = False
            return parsed
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                parsed.definitions[node.name] = node
            elif isinstance(node, ast.ImportFrom):
                source = self._module_file(path, node)
                if source is None:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        parsed.star_imports.append(source)
                    else:
                        parsed.imported[alias.asname or alias.name] = (source, alias.name)
        return parsed

    def _module_file(self, importer: Path, node: ast.ImportFrom) -> Path | None:
        """The package file `from X import ...` reads, for X relative (`..layers`) or under the top package."""
        parts = (node.module or "").split(".") if node.module else []
        if node.level:
            base = importer.parent
            for _ in range(node.level - 1):
                base = base.parent
        elif parts and parts[0] == self.root.name:
            base, parts = self.root, parts[1:]
        else:
            return None
        target = base.joinpath(*parts)
        for candidate in (target.with_suffix(".py"), target / "__init__.py"):
            if parts and candidate.is_file() and self.root.resolve() in candidate.resolve().parents:
                return candidate
        return None

    def lookup(self, path: Path, name: str, seen: frozenset[Path] = frozenset()) -> tuple[SourceFile, Definition] | None:
        """Where `name`, as seen from the file at `path`, is defined in the package (None: elsewhere, or nowhere)."""
        source = self.file(path)
        if name in source.definitions:
            return source, source.definitions[name]
        if source.path in seen:
            return None
        seen = seen | {source.path}
        if name in source.imported:
            other, original = source.imported[name]
            return self.lookup(other, original, seen)
        for other in reversed(source.star_imports):  # the last star import wins, as at run time
            found = self.lookup(other, name, seen)
            if found is not None:
                return found
        return None

    def unwritten_calls(self, path: Path, definition: Definition) -> list[str]:
        """Stubs among the package's functions that `definition` uses, directly or through other functions."""
        found: list[str] = []
        visited: set[tuple[Path, str]] = {(path.resolve(), definition.name)}
        queue: list[tuple[Path, Definition]] = [(path.resolve(), definition)]
        while queue:
            where, node = queue.pop(0)
            for name in sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}):
                hit = self.lookup(where, name)
                if hit is None or (hit[0].path, hit[1].name) in visited:
                    continue
                source, used = hit
                visited.add((source.path, used.name))
                if isinstance(used, ast.ClassDef):
                    continue
                if is_stub(used):
                    found.append(f"{used.name} ({source.path.relative_to(self.root.parent)})")
                else:
                    queue.append((source.path, used))
        return found
