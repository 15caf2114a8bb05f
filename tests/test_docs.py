"""The README and docs/ name only what exists: every `grade …` line, option, `make` target and repository path.

Docs drift when code moves (a kit module into a problem's folder, an option renamed), and a reader who types a
command that the CLI rejects stops trusting the rest. These tests read the Markdown, never run a grading: the
`grade` commands are checked against the click tree of `grader.cli.main`, the `make` targets against the
Makefile's rules, the paths against the checkout (placeholders such as `<slug>` or `PROBLEM` and globs match any).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import click
import pytest
from helpers import CATALOG, ROOT

from grader.cli import main as grade_cli

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")  # may wrap onto the next line, as Markdown allows
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Top-level entries of the checkout a doc may point into; a path is recognised by starting with one of them.
ROOTS = r"grader|problems|solutions|tests|docs|bench|\.ci"
PATH = re.compile(rf"(?<![\w/.~<>-])((?:{ROOTS})/[\w./<>*{{}}-]*)")
# A placeholder stands for a value the reader supplies: <anything>, or a word in capitals (PROBLEM, SLUG, PATH, N).
ANGLE = re.compile(r"<[^<>\n]*>")
PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9_]*|<[^>]*>|…|\.\.\.)$")
# Folders the grader creates when it runs, so a fresh checkout cannot hold them: `grade reset`'s backups.
MADE_AT_RUN_TIME = ("problems/*/backups",)
MODULE = re.compile(r"(?<![\w./-])(grader(?:\.\w+)+)")


def inline_spans(text: str) -> Iterator[str]:
    """Inline code outside the fenced blocks, a span wrapped onto the next line joined up again."""
    yield from (re.sub(r"\s*\n\s*", " ", span) for span in INLINE.findall(FENCE.sub("", text)))


def code_spans(text: str) -> Iterator[str]:
    """Every line of a fenced block and every inline code span: what a reader would copy and type."""
    for block in FENCE.findall(text):
        yield from block.splitlines()
    yield from inline_spans(text)


def grade_lines(text: str) -> Iterator[str]:
    """`grade …` invocations, with a usage table's description column and shell comments cut off."""
    for span in code_spans(text):
        made = re.search(r"\bmake grade P=(\S+)(?: ARGS=(\"[^\"]*\"|'[^']*'))?", span)
        if made:  # the Makefile's way of running `grade P ARGS`
            yield f"grade {made[1]} {(made[2] or '').strip(chr(34) + chr(39))}".strip()
        line = re.sub(r"^\s*(?:\$\s+|\.venv/bin/)?", "", span)
        if not line.startswith("grade ") or re.search("[\u2500-\u257f]", line):  # not a diagram's box
            continue
        line = re.split(r"\s{2,}|\s#\s", line.strip())[0]
        yield line


def words(line: str) -> list[str]:
    """Shell words of a documented command, placeholders kept whole and optional brackets dropped."""
    line = ANGLE.sub("<x>", line).replace("[", " ").replace("]", " ")
    try:
        return shlex.split(line)
    except ValueError:  # an unbalanced quote in prose: split on blanks
        return line.split()


def option_names(command: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts + param.secondary_opts)
    return names


def all_options(command: click.Command) -> set[str]:
    names = option_names(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            names |= all_options(sub)
    return names


def check_grade_line(line: str) -> list[str]:
    """What in one documented `grade …` line does not exist: a subcommand, an option, a problem."""
    argv = words(line)[1:]
    if not argv:
        return []
    first = argv[0]
    if first.startswith("-"):
        return [] if first in option_names(grade_cli) else [f"{line!r}: `grade` has no option {first}"]
    if "|" in first:  # `grade session start|begin|…` style alternatives at the top level are not used
        return [f"{line!r}: alternatives belong after a group, not after `grade`"]
    if first in grade_cli.commands:
        command, rest = grade_cli.commands[first], argv[1:]
    elif PLACEHOLDER.match(first) or first in CATALOG.problems:
        command, rest = grade_cli.commands["run"], argv
    else:
        return [f"{line!r}: {first!r} is neither a subcommand of `grade` nor a problem of the catalogue"]
    problems: list[str] = []
    if isinstance(command, click.Group) and rest and PLACEHOLDER.match(rest[0]):  # `grade session …`
        return []
    if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        names = rest[0].split("|")
        problems += [f"{line!r}: `grade {first}` has no subcommand {n!r}" for n in names if n not in command.commands]
        known = [command.commands[n] for n in names if n in command.commands]
        options = set().union(*(option_names(c) for c in known)) if known else set()
        rest = rest[1:]
    else:
        options = option_names(command)
    takes_problem = any(isinstance(p, click.Argument) and p.metavar == "PROBLEM" for p in command.params)
    if takes_problem and rest and not rest[0].startswith("-"):
        slug = rest[0]
        if not PLACEHOLDER.match(slug) and slug not in CATALOG.problems:
            problems.append(f"{line!r}: no problem {slug!r} in the catalogue")
    for word in rest:
        if word.startswith("--") or re.fullmatch(r"-[a-zA-Z]", word):
            name = word.split("=", 1)[0]
            if name not in options:
                problems.append(f"{line!r}: `grade {first}` has no option {name}")
    return problems


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def path_exists(path: str) -> bool:
    """True when the checkout holds the path, reading <placeholders> and globs as wildcards, and words in capitals
    too unless the path exists as written (README.md is a name, PROBLEM.py a placeholder)."""
    pattern = re.sub(r"\{[^}]*\}", "*", ANGLE.sub("*", path.rstrip("/")))
    if any(ROOT.glob(pattern)) or any(fnmatch(pattern, made + "*") for made in MADE_AT_RUN_TIME):
        return True
    return any(ROOT.glob(re.sub(r"\b[A-Z][A-Z0-9_]*\b", "*", pattern)))


def doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_grade_command_line_exists(doc: Path) -> None:
    lines = list(grade_lines(doc.read_text(encoding="utf-8")))
    problems = [problem for line in lines for problem in check_grade_line(line)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_option_named_alone_exists(doc: Path) -> None:
    """An inline `--option` on its own is one of `grade`'s (pytest's `-k` and make's `ARGS` are not of this form)."""
    known = all_options(grade_cli)
    spans = inline_spans(doc.read_text(encoding="utf-8"))
    named = {re.split("[ =]", span)[0] for span in spans if re.fullmatch(r"--[a-z][\w-]*(?:[ =]\S+)?", span)}
    assert named <= known, f"options no `grade` command has: {sorted(named - known)}"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_make_target_exists(doc: Path) -> None:
    targets = make_targets()
    spans = code_spans(doc.read_text(encoding="utf-8"))
    named = {target for span in spans for target in re.findall(r"\bmake ([a-z][\w-]*)", span)}
    assert named <= targets, f"make targets not in the Makefile: {sorted(named - targets)}"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_repository_path_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    named = {m.rstrip(".,;:") for m in PATH.findall(text)}
    missing = sorted(p for p in named if not path_exists(p))
    assert not missing, f"paths not in the checkout: {missing}"


def anchors(doc: Path) -> set[str]:
    """The fragments GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", doc.read_text(encoding="utf-8")), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_relative_link_resolves(doc: Path) -> None:
    """A link to a file that moved, or to a heading that was renamed, is found here rather than by a reader."""
    missing = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"\w+:", target):
            continue
        file, _, fragment = target.partition("#")
        page = (doc.parent / file) if file else doc
        if not page.exists():
            missing.append(target)
        elif fragment and page.suffix == ".md" and fragment not in anchors(page):
            missing.append(target)
    assert not missing, f"links to nothing: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_every_grader_module_named_exists(doc: Path) -> None:
    named = {module.replace(".", "/") for module in MODULE.findall(doc.read_text(encoding="utf-8"))}
    missing = sorted(m for m in named if not path_exists(m + ".py") and not path_exists(m + "/__init__.py"))
    assert not missing, f"modules not in the checkout: {missing}"


def test_the_docs_name_commands_at_all() -> None:
    """The extraction finds what it should, so a regex that matches nothing cannot make the tests above pass."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make grade P=layernorm" in "\n".join(code_spans(readme))
    lines = [line for doc in DOCS for line in grade_lines(doc.read_text(encoding="utf-8"))]
    assert any(line.startswith("grade session start") for line in lines), lines
    assert any(line.startswith("grade batch") for line in lines), lines
    assert "grade layernorm --seed 7" in list(grade_lines('`make grade P=layernorm ARGS="--seed 7"`'))
    assert sum(1 for doc in DOCS for _ in PATH.finditer(doc.read_text(encoding="utf-8"))) > 20


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("grade layernorm --no-speed", None),
        ("grade PROBLEM --file PATH", None),
        ("grade session start|begin|status", None),
        ("grade session …", None),
        ("grade session report [--workspace DIR] [--format md|json|html]", None),
        ("grade layernrom", "neither a subcommand"),
        ("grade layernorm --fast", "has no option --fast"),
        ("grade session stop", "no subcommand 'stop'"),
        ("grade session begin --candidate X", "has no option --candidate"),
        ("grade hint layernrom", "no problem 'layernrom'"),
        ("grade --verbose", "no option --verbose"),
        ("grade layernorm --sed 7", "has no option --sed"),
    ],
)
def test_the_checker_tells_real_commands_from_drifted_ones(line: str, says: str | None) -> None:
    problems = check_grade_line(line)
    if says is None:
        assert problems == []
    else:
        assert problems and says in problems[0], problems


def test_anchors_are_githubs() -> None:
    assert "the-speed-row" in anchors(ROOT / "docs" / "performance.md")
    assert "what-confines-the-candidates-code" in anchors(ROOT / "docs" / "grading.md")
    assert "--json" in anchors(ROOT / "docs" / "practice.md")


def test_placeholders_and_globs_match_paths() -> None:
    assert path_exists("problems/<slug>/hidden/test_<slug>.py")
    assert path_exists("tests/mutants/PROBLEM/")
    assert path_exists("tests/hostile/*/*.py")
    assert not path_exists("grader/kit/no_such_module.py")
    assert not path_exists("problems/<slug>/no_such_file.toml")
