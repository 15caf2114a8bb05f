"""What in a candidate's source could hide its forward pass from the grader's record of it.

The PyTorch track's "write it yourself" rows (not F.layer_norm, not nn.TransformerEncoderLayer) judge what
the worker saw the forward pass call: a torch function mode that logs operators, and an inspection and a
trace of the module. Both live in the candidate's own process, so code there can switch them off
(torch._C.DisableTorchFunction), patch them (the log's class, reached through sys.modules), run work where
the mode does not look (TorchScript, a Tensor subclass's handler, an apply_ callback), or keep a built-in
layer out of sight (in a plain list, its methods taken at import). The grader reads the source on its own
side, where none of that reaches, and names what no layer of this exercise needs and what could blind the
record: torch's mode machinery and private names, the grader's modules, introspection into other code,
code and names built from strings, and in the Transformer problems any use of the built-in layers. A file
with any of it cannot be vouched for, so the row fails and says where. Three red-team rounds shaped these
rules; tests/test_source_scan.py holds their cases and the honest code that must pass.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Names (attributes, imports, identifiers or string constants) that switch off, push or stand in for torch's
# function and dispatch modes, or reach the worker's own log: no normalization layer needs any of them.
MODE_MACHINERY = frozenset({
    "_C", "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch", "_disable_current_modes",
    "_pop_mode", "_push_mode", "_pop_mode_temporarily", "_pop_torch_function_stack", "_push_on_torch_function_stack",
    "_set_torch_function_mode", "_len_torch_function_stack", "_get_function_stack_at", "TorchFunctionMode",
    "TorchDispatchMode", "__torch_function__", "__torch_dispatch__", "_python_dispatch", "overrides", "_OperatorLog",
    "torch_ops",
})
# Introspection that reaches into other code's objects, frames and namespaces (the worker's, torch's).
INTROSPECTION = frozenset({
    "__dict__", "__globals__", "__closure__", "__code__", "__subclasses__", "__getattribute__", "__builtins__",
    "__traceback__", "tb_frame", "f_back", "f_globals", "f_locals", "gi_frame", "_getframe", "settrace", "setprofile",
    "attrgetter", "methodcaller", "__func__", "__self__", "__wrapped__",
})
# Parts of torch that run code where the function mode does not look: TorchScript, compiled graphs, custom
# operators (the mode sees the operator, not what its Python kernel calls). With torch's private names
# (a leading underscore), these are named wherever they are reached from a name bound to torch.
TORCH_ELSEWHERE = frozenset({"jit", "compile", "export", "library", "_dynamo", "_inductor", "apply_", "map_", "map2_"})
# What only reports how torch is running, copied from torch's own sources: harmless.
JIT_ANNOTATIONS = frozenset({"is_scripting", "is_tracing", "ignore", "unused", "export", "Final", "annotate"})
# Private helpers that only shape arguments or copy modules, which honest files take from PyTorch's own
# nn.Linear and nn.TransformerEncoderLayer sources: none of them runs a layer.
ALLOWED_PRIVATE = frozenset({
    "_calculate_fan_in_and_fan_out", "_calculate_correct_fan", "_canonical_mask", "_none_or_dtype", "_get_clones",
    "_get_activation_fn", "_get_seq_len", "_detect_is_causal_mask", "_generate_square_subsequent_mask", "_assert", "_shape_t",
})
DYNAMIC_CALLS = frozenset({"exec", "eval", "compile", "__import__", "globals", "vars"})
ATTRIBUTE_BY_NAME = frozenset({"getattr", "setattr", "delattr"})
# ... threads, whose calls a function mode (kept per thread) never sees (the sandbox refuses them too), and
# signal handlers, which can run while the mode is set aside.
MODULES = ("grader", "importlib", "ctypes", "gc", "inspect", "builtins", "marshal", "pickle", "dill", "cffi", "pydoc",
           "pkgutil", "runpy", "code", "codeop", "threading", "_thread", "concurrent", "multiprocessing", "signal")
# A forbidden class's methods: what a block that borrows them would call.
BORROWED = frozenset({"forward", "_sa_block", "_ff_block"})


@dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def hiding_constructs(source: str, classes: tuple[str, ...] = ()) -> list[Finding]:
    """What in `source` could hide a call from the grader (empty when nothing could). `classes`: built-in
    classes the exercise forbids, whose methods must not be taken: any use of them but a call that builds one
    (which the worker's own check inspects) is named. A file that does not parse hides nothing: it never loads."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    own = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    scan = _Scan(frozenset(classes), _torch_names(tree), own)
    scan.visit(tree)
    return sorted(set(scan.found), key=lambda f: (f.line, f.what))


def _torch_names(tree: ast.AST) -> frozenset[str]:
    """The names that hold torch or one of its modules: torch itself, what imports bind to it (nn, F ...),
    and every name assigned, defaulted or bound to one of those (t = torch, def f(t=torch.nn)), until no more
    join."""
    names = {"torch"}
    bindings: list[tuple[list[str], ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name.split(".")[0]) for a in node.names if a.name.split(".")[0] == "torch"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            names |= {a.asname or a.name for a in node.names if a.name != "*"}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bindings.append((_bound(targets), node.value))
        elif isinstance(node, (ast.For, ast.comprehension)):
            bindings.append((_bound([node.target]), node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bindings.append((_bound([node.optional_vars]), node.context_expr))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults)]
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            bindings += [([arg.arg], default) for arg, default in pairs]
    grown = True
    while grown:
        grown = False
        for targets, value in bindings:
            if set(targets) - names and _alias_of(value, names):
                names |= set(targets)
                grown = True
    return frozenset(names)


def _alias_of(value: ast.expr, names: set[str]) -> bool:
    """`value` is torch or one of its modules under another name: a name or attribute chain rooted at one
    (what a call returns is an object of the candidate's, judged where it is used)."""
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id in names


def _bound(targets: list[ast.expr]) -> list[str]:
    """The plain names an assignment binds (`a, *b = ...`), not the objects it stores into (`self.w = ...`)."""
    names = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            names += _bound(target.elts)
        elif isinstance(target, ast.Starred):
            names += _bound([target.value])
    return names


def _past_the_record(name: str) -> bool:
    """A part of torch the function mode does not see into, or one of its private names (dunders such as
    __version__ are not: the ones that reach into objects are named everywhere, as introspection)."""
    dunder = name.startswith("__") and name.endswith("__")
    return name in TORCH_ELSEWHERE or (name.startswith("_") and not dunder and name not in ALLOWED_PRIVATE)


def _root(node: ast.expr) -> str | None:
    """The name an attribute chain starts from (through calls, subscripts and getattr's first argument)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Call):
            by_name = isinstance(node.func, ast.Name) and node.func.id in ATTRIBUTE_BY_NAME and node.args
            node = node.args[0] if by_name else node.func
        else:
            node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scan(ast.NodeVisitor):
    def __init__(self, classes: frozenset[str], torch_names: frozenset[str], own: frozenset[str]) -> None:
        self.classes = classes
        self.torch_names = torch_names
        self.own = own  # names the file assigns itself (a local `vars` is not the builtin)
        self._harmless: set[int] = set()  # ids of nodes read only to ask how torch runs (torch.jit.is_scripting)
        self._methods: set[int] = set()  # ids of the functions defined directly in a class body
        self._in_method = [False]  # whether `self` is, where the scan is, a method's own instance
        self.found: list[Finding] = []
        self._called: set[int] = set()  # ids of expressions that are the callee of a call
        self._aliases: set[str] = set()  # names a forbidden class was imported as

    def _add(self, node: ast.AST, what: str) -> None:
        self.found.append(Finding(getattr(node, "lineno", 0), what))

    def _name(self, node: ast.AST, name: str, kind: str) -> None:
        if name in MODE_MACHINERY:
            self._add(node, f"{kind} {name!r}, part of torch's function-mode machinery")
        elif name in INTROSPECTION:
            self._add(node, f"{kind} {name!r}, introspection into other code's objects")
        else:
            self._forbidden_class(node, name, kind)

    def _forbidden_class(self, node: ast.AST, name: str, kind: str) -> None:
        """Any use: one built and kept out of the module tree (in a list) is not seen by the worker's check."""
        if name in self.classes or (bool(self.classes) and name in self._aliases):
            self._add(node, f"{kind} {name!r}, a layer the exercise asks you to build from its parts (a comparison "
                            "with it belongs in the body of `if __name__ == '__main__':`, which is not read)")

    def visit_Call(self, node: ast.Call) -> None:
        self._called.add(id(node.func))
        func = node.func
        if isinstance(func, ast.Name):
            own_fields = func.id == "vars" and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
                and node.args[0].id == "self" and self._in_method[-1]  # as self.__dict__ in extra_repr
            if func.id in DYNAMIC_CALLS and not own_fields:
                self._add(node, f"{func.id}(), code or names built at run time")
            elif func.id in ATTRIBUTE_BY_NAME and len(node.args) >= 2:
                target, name = node.args[0], node.args[1]
                literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
                own = isinstance(target, ast.Name) and target.id == "self" and self._in_method[-1]
                if not literal and not own:
                    self._add(node, f"{func.id}() with a name computed at run time")
                elif literal and func.id != "getattr" and name.value.startswith("__"):
                    self._add(node, f"{func.id}() of {name.value!r}, rewriting how an object names itself")
            elif func.id == "type" and len(node.args) == 1 and self.classes and not isinstance(node.args[0], ast.Name) \
                    and _root(node.args[0]) in self.torch_names:
                self._add(node, "type() of a torch object, a class reached without naming it")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "__dict__" and isinstance(node.value, ast.Name) and node.value.id == "self" and self._in_method[-1]:
            return  # the instance's own fields, as nn.LayerNorm's extra_repr formats them
        if node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
            self._add(node, "sys.modules, every module the process loaded (the grader's own included)")
        self._name(node, node.attr, "attribute")
        if node.attr in ("__name__", "__qualname__") and isinstance(node.ctx, ast.Store):
            self._add(node, f"an assignment to {node.attr}, rewriting how an object names itself")
        if node.attr in JIT_ANNOTATIONS and isinstance(node.value, ast.Attribute) and node.value.attr == "jit":
            self._harmless |= {id(node), id(node.value)}  # TorchScript's annotations: in eager code they do nothing
        if id(node) not in self._harmless:
            self._torch_attribute(node)
        self.generic_visit(node)

    def _torch_attribute(self, node: ast.Attribute) -> None:
        torch_rooted = _root(node.value) in self.torch_names
        if not torch_rooted and node.attr in TORCH_ELSEWHERE - {"compile"}:  # torch handed in as an argument (re.compile is not)
            self._add(node, f"attribute {node.attr!r}, code torch runs where the record does not look")
        if torch_rooted and node.attr not in MODE_MACHINERY and node.attr not in INTROSPECTION:
            if self.classes and node.attr in BORROWED:
                self._add(node, f"attribute {node.attr!r} of a torch object, a method or class taken as it is")
            elif node.attr in TORCH_ELSEWHERE:
                self._add(node, f"attribute {node.attr!r}, code torch runs where the record does not look")
            elif _past_the_record(node.attr):
                self._add(node, f"attribute {node.attr!r}, one of torch's private names")

    def visit_Name(self, node: ast.Name) -> None:
        """Torch's private names only arrive through an import or a lookup, both named where they happen."""
        if node.id in (ATTRIBUTE_BY_NAME | DYNAMIC_CALLS) and id(node) not in self._called and node.id not in self.own:
            self._add(node, f"{node.id} passed around as a value")
        elif node.id == "__name__" and isinstance(node.ctx, ast.Store):
            self._add(node, "an assignment to __name__")
        elif node.id in INTROSPECTION:
            self._add(node, f"name {node.id!r}, introspection into other code's objects")
        else:
            self._forbidden_class(node, node.id, "name")

    def visit_Constant(self, node: ast.Constant) -> None:
        """A string that names one of these, as a lookup by name would use it (prose, with spaces, is left alone)."""
        if isinstance(node.value, str) and len(node.value) < 200 and not any(c.isspace() for c in node.value):
            for part in node.value.replace(":", ".").split("."):
                if part in MODE_MACHINERY or part in INTROSPECTION or part in self.classes:
                    self._add(node, f"the string {node.value!r}, a name to look up at run time")
                    break

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._module(node, node.module or "")
        for alias in node.names:
            if alias.name in self.classes:
                self._aliases.add(alias.asname or alias.name)  # its uses are what is judged
            elif alias.name in MODE_MACHINERY or alias.name in INTROSPECTION:
                self._name(node, alias.name, "import of")
            elif (node.module or "").split(".")[0] == "torch" and _past_the_record(alias.name):
                self._add(node, f"import of {alias.name!r} from {node.module!r}, torch code the record does not see into")
            elif alias.name == "*" and (node.module or "").startswith("torch"):
                self._add(node, f"import * from {node.module!r}")
        self.generic_visit(node)

    def _module(self, node: ast.AST, module: str) -> None:
        parts = module.split(".")
        if parts[0] in MODULES:
            self._add(node, f"import of {module!r}")
        for part in parts[1:]:
            self._name(node, part, "import of")
            if parts[0] == "torch" and _past_the_record(part):
                self._add(node, f"import of {module!r}, torch code the record does not see into")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._methods |= {id(child) for child in node.body if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`getattr(self, name)` looks up the candidate's own instance only inside its class's methods (a helper
        with a parameter called self can be handed torch.nn)."""
        if node.name in MODE_MACHINERY:
            self._add(node, f"a method {node.name!r}, a handler torch calls where the record does not look")
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        if id(node) in self._methods:
            in_method = bool(params) and params[0] == "self"
        else:
            in_method = self._in_method[-1] and "self" not in params
        self._in_method.append(in_method)
        self.generic_visit(node)
        self._in_method.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        """A self-test under `if __name__ == "__main__":` never runs in the grader, which imports the file
        under another name (and an assignment to __name__, or any way to reach one, is named): it is not read."""
        if _is_main_guard(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
        and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__"
    )
