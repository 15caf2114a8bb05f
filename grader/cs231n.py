"""`grade cs231n PATH`: a CS231n assignment 2 folder graded as it stands, in one summary.

Every catalogue problem whose problem.toml names a file of CS231n's package (`[cs231n] file`) is graded on
that file of the folder, imported as part of the candidate's package (grader.core.package). Before any of
the candidate's code runs, the files are read here: what this course year's assignment does not have (the
2017 templates have no layer norm, its FullyConnectedNet no `normalization`) is absent, a problem whose
functions are all still template stubs is "not implemented yet"; neither is graded, and neither is ever
reported as an error of the grader. The rest is graded as `grade PROBLEM --file` grades it.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.catalog import Catalog, Problem
from grader.core.package import package_of
from grader.core.preflight import apply_aliases, call_problem
from grader.core.runner import GradeOptions, grade, grader_file, package_refused
from grader.core.unwritten import Definition, PackageSource, stubs_of
from grader.model import SCHEMA_VERSION, GradeReport, Status, finite_json

PACKAGE = "cs231n"
# Where the package is looked for under PATH: PATH itself, its cs231n/, or a course checkout's assignment2/cs231n/.
PLACES = (".", PACKAGE, f"assignment2/{PACKAGE}")

GRADED, NOT_IMPLEMENTED, ABSENT = "graded", "not implemented", "absent"
_RAISES = re.compile(r"not implemented yet \((.+?) raises NotImplementedError\)")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
COMPILED = "a compiled extension not built for this Python (`python setup.py build_ext --inplace` in the package builds it)"


class AssignmentError(Exception):
    """PATH cannot be graded as a CS231n assignment; the message says why and what to give instead."""


@dataclass
class ProblemOutcome:
    problem: str
    file: str  # as shown: relative to the folder given
    state: str  # GRADED, NOT_IMPLEMENTED or ABSENT
    note: str = ""  # why absent; what stopped a grading
    not_implemented: list[str] = field(default_factory=list)  # the problem's own functions still stubs
    unwritten_calls: list[str] = field(default_factory=list)  # stubs among the functions they call
    report: GradeReport | None = None

    @property
    def mistakes(self) -> list[str]:
        """The recognised mistakes the failing rows name, each once, in the order of the rows."""
        from grader.kit.compare import MISTAKES_APART, NAMED, SAME_ANSWER  # the kit's import is the grading's cost

        found: list[str] = []
        for row in self.report.checks if self.report else ():
            _, named, text = row.message.partition(NAMED) if row.status is not Status.PASS else ("", "", "")
            named = text.removesuffix(SAME_ANSWER) if named else ""  # "A; or B (these ... give the same answer)"
            for label in map(_short, named.split(MISTAKES_APART) if named else ()):
                if label and label not in found:
                    found.append(label)
        return found

    @property
    def first_failure(self) -> str:
        """What the first row that did not pass says, for a problem whose rows name no mistake."""
        row = next((r for r in self.report.checks if r.status is not Status.PASS), None) if self.report else None
        return row.message if row is not None else ""

    @property
    def passed(self) -> bool:
        return self.state == GRADED and self.report is not None and self.report.all_passed

    @property
    def counts(self) -> bool:
        """Does this outcome decide the exit status? Absent problems are another course year's, never a failure."""
        return self.state != ABSENT

    def to_json(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "file": self.file,
            "state": self.state,
            "passed": self.report.passed if self.report else None,
            "total": self.report.total if self.report else None,
            "mistakes": self.mistakes,
            "first_failure": self.first_failure,
            "not_implemented": self.not_implemented,
            "unwritten_calls": self.unwritten_calls,
            "note": self.note,
            "report": self.report.to_json() if self.report else None,
        }


@dataclass
class AssignmentReport:
    folder: str
    package: str  # the package folder, relative to `folder`
    seed: int
    outcomes: list[ProblemOutcome] = field(default_factory=list)
    duration_s: float = 0.0
    interrupted: str | None = None  # the signal that stopped the grading of the folder

    @property
    def all_passed(self) -> bool:
        """Something was graded, and every problem of this course year passes every check."""
        counted = [o for o in self.outcomes if o.counts]
        return bool(counted) and self.interrupted is None and all(o.passed for o in counted)

    def to_json(self) -> dict[str, Any]:
        return finite_json({
            "schema_version": SCHEMA_VERSION,
            "folder": self.folder,
            "package": self.package,
            "seed": self.seed,
            "all_passed": self.all_passed,
            "duration_s": round(self.duration_s, 3),
            "interrupted": self.interrupted,
            "problems": [o.to_json() for o in self.outcomes],
        })


def _short(label: str) -> str:
    """A named mistake without the advice a row may add after it ("...; in this spec p is ...")."""
    label = label.strip().rstrip(".")
    depth = 0
    for i, char in enumerate(label):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and label.startswith("; ", i):
            return label[:i]
    return label


def find_package(path: Path) -> Path:
    """The cs231n package folder of PATH: PATH itself, or its cs231n/ (also under assignment2/)."""
    if not path.is_dir():
        raise AssignmentError(f"{path} is not a folder: give the assignment2 folder, or its cs231n package")
    for place in PLACES:
        folder = path / place
        if (folder / "layers.py").is_file() or (folder / "classifiers").is_dir():
            return folder.resolve()
    raise AssignmentError(
        f"{path} holds no CS231n package: give the assignment2 folder (the one with cs231n/layers.py) or cs231n itself"
    )


def cs231n_problems(catalog: Catalog) -> list[Problem]:
    """The catalogue's problems that keep CS231n's signatures, in catalogue order."""
    return [problem for problem in catalog.ordered() if problem.cs231n_file]


def grade_assignment(
    catalog: Catalog,
    path: Path,
    options: GradeOptions,
    timeout_s: float | None = None,
    on_outcome: Callable[[ProblemOutcome], None] = lambda outcome: None,
) -> AssignmentReport:
    """Read, then grade, every CS231n problem of the folder at `path`; `on_outcome` hears of each as it is done.

    `timeout_s` is the time one call may take, by default each problem's own (as `grade` has it)."""
    started = time.monotonic()
    package = find_package(path)
    problems = cs231n_problems(catalog)
    _refuse_ours(problems, package)
    report = AssignmentReport(str(path), _shown(package, path), options.seed)
    source = PackageSource(package)
    for problem in problems:
        outcome = read_problem(problem, package, path, source)
        if outcome.state == GRADED:
            own = replace(options, timeout_s=timeout_s or problem.timeout_s)
            outcome.report = grade(problem, (package / problem.cs231n_file).resolve(), own)
            outcome.report.file = outcome.file
            _learn_from_rows(outcome, package)
            if outcome.report.interrupted:
                report.interrupted = outcome.report.interrupted
        report.outcomes.append(outcome)
        on_outcome(outcome)
        if report.interrupted:
            break
    report.duration_s = time.monotonic() - started
    return report


def _refuse_ours(problems: list[Problem], package: Path) -> None:
    """The worker reads the whole package: a folder that holds one of the grader's files is never graded."""
    files = [(problem, package / problem.cs231n_file) for problem in problems]
    files = [(problem, file) for problem, file in files if file.is_file()]
    for problem, file in files:
        if grader_file(problem, file):
            raise AssignmentError(f"{file} is one of the grader's own files (a solution, a hidden suite, the grader)")
    packages = {}  # one walk of each package tree (they are all the same one, or the files stand alone)
    for problem, file in files:
        root = package_of(file)
        if root is not None and root.root not in packages:
            packages[root.root] = package_refused(problem, file)
            if packages[root.root]:
                raise AssignmentError(f"{file} cannot be graded: {packages[root.root]}")


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve())) if path.resolve() != base.resolve() else "."
    except ValueError:
        return str(path)


def read_problem(problem: Problem, package: Path, folder: Path, source: PackageSource) -> ProblemOutcome:
    """What can be known of `problem` in this folder without running anything: absent, unwritten, or to grade."""
    file = package / problem.cs231n_file
    shown = _shown(file, folder)
    outcome = ProblemOutcome(problem.slug, shown, GRADED)
    if not file.is_file():
        return _absent(outcome, f"{shown} is not in this folder")
    parsed = source.file(file)
    if not parsed.parsed:
        return outcome  # a syntax error: the grading's load row says where
    found = {name: source.lookup(file, name) for name in problem.functions}
    missing = [name for name, hit in found.items() if hit is None]
    if len(missing) == len(found):  # course years add whole layers; one function of several gone is the file's own doing
        return _absent(outcome, f"{file.name} has no {', '.join(missing)}: not part of this course year's assignment")
    if missing:
        return outcome  # graded: its load row names what is missing, and the problem counts as failing
    for name, (_, definition) in found.items():
        different = _signature_problem(problem, name, definition)
        if different:  # "X(...) cannot be called as the spec says, X(...): it has no parameter 'normalization'"
            return _absent(outcome, f"another course year's signature of {name}: {different.rsplit('): ', 1)[-1]}")
    stubs = {name: stubs_of(definition) for name, (_, definition) in found.items()}
    outcome.not_implemented = [stub for names in stubs.values() for stub in names]
    for name, (where, definition) in found.items():
        for call in source.unwritten_calls(where.path, definition):
            if call not in outcome.unwritten_calls and call.split(" ")[0] not in problem.functions:
                outcome.unwritten_calls.append(call)
    if all(stubs.values()):
        outcome.state = NOT_IMPLEMENTED
    return outcome


def _absent(outcome: ProblemOutcome, note: str) -> ProblemOutcome:
    outcome.state, outcome.note = ABSENT, note
    return outcome


def _signature_problem(problem: Problem, name: str, definition: Definition) -> str | None:
    """Why `definition` cannot be called as the problem's spec calls it (another year's signature), if it cannot."""
    try:
        params = _params(definition)
    except RecursionError:  # a default too deeply nested to write out: the grading's own check decides
        return None
    if params is None:
        return None
    params, _ = apply_aliases(params, problem.aliases.get(name, {}))
    return call_problem(name, problem.functions[name], params)


def _params(definition: Definition) -> list | None:
    """The signature as the worker reports it ([name, kind, has_default, default]); a class's is its __init__'s."""
    if isinstance(definition, ast.ClassDef):
        init = next((n for n in definition.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is None:
            return None  # inherited: the grading's own signature check decides
        arguments, skip = init.args, 1
    else:
        arguments, skip = definition.args, 0
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    params = [
        [a.arg, 0 if i < len(arguments.posonlyargs) else 1, d is not None, ast.unparse(d) if d is not None else ""]
        for i, (a, d) in enumerate(zip(positional, defaults))
    ][skip:]
    if arguments.vararg:
        params.append([arguments.vararg.arg, 2, False, ""])
    params += [
        [a.arg, 3, d is not None, ast.unparse(d) if d is not None else ""]
        for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)
    ]
    if arguments.kwarg:
        params.append([arguments.kwarg.arg, 4, False, ""])
    return params


def _learn_from_rows(outcome: ProblemOutcome, package: Path) -> None:
    """What only the run shows: functions that raise NotImplementedError, and a module of the package that
    is not there (fast_layers' compiled extension, never built), which makes the problem absent, not failed."""
    for row in outcome.report.checks:
        for where in _RAISES.findall(row.message):  # "layernorm_forward", or "dropout_forward of cs231n/layers.py"
            name, _, other_file = where.partition(" of ")
            found, entry = (outcome.unwritten_calls, f"{name} ({other_file})") if other_file else (outcome.not_implemented, name)
            if entry not in found:
                found.append(entry)
    load = next((row for row in outcome.report.checks if row.category == "load" and row.status is not Status.PASS), None)
    if load is None:
        return
    missing = _NO_MODULE.search(load.message)
    if missing and missing.group(1).split(".")[0] == package.name:
        module = missing.group(1)
        source = package.joinpath(*module.split(".")[1:]).with_suffix(".pyx")
        why = COMPILED if source.is_file() else "which is not in this folder"
        _absent(outcome, f"needs {module}, {why}")
    else:
        outcome.note = load.message
        if "no known parent package" in load.message:
            outcome.note += " (a folder of the package has no __init__.py, so the file's relative imports have no package)"
