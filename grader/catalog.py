"""The problem catalog: every folder under problems/ with a problem.toml is a problem. Nothing to register."""

from __future__ import annotations

import difflib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}
TRACK_FORBIDDEN_IMPORTS = {
    "numpy": ("torch", "tensorflow", "jax", "keras", "scipy", "sklearn"),
    "torch": ("tensorflow", "jax", "keras"),
}
TRACK_NAMES = {"numpy": "NumPy", "torch": "PyTorch"}
# What a track needs installed beyond the core dependencies, and how to get it.
TRACK_REQUIRES = {"torch": ("torch",)}
TRACK_INSTALL = {"torch": "pip install -e '.[torch]'  (or: make install-torch)"}


def repo_root() -> Path:
    """Where problems/ and solutions/ live: $NORMKATA_ROOT, else the checkout this package sits in."""
    env = os.environ.get("NORMKATA_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Problem:
    slug: str
    root: Path
    title: str
    difficulty: str
    minutes: int
    track: str
    tags: tuple[str, ...]
    functions: dict[str, str]  # name -> the parameter list the spec gives, e.g. "x, gamma, beta, eps=1e-5"
    hints: tuple[str, ...]
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def folder(self) -> Path:
        return self.root / "problems" / self.slug

    @property
    def spec(self) -> Path:
        return self.folder / "README.md"

    @property
    def stub(self) -> Path:
        return self.folder / f"{self.slug}.py"

    @property
    def pristine_stub(self) -> Path:
        """The stub as shipped, kept beside the working copy: what `grade reset` and new sessions start from."""
        return self.folder / f"{self.slug}.py.orig"

    @property
    def backups(self) -> Path:
        return self.folder / "backups"

    @property
    def hidden(self) -> Path:
        return self.folder / "hidden"

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / f"{self.slug}.py"

    @property
    def track_name(self) -> str:
        return TRACK_NAMES.get(self.track, self.track)

    @property
    def forbidden_imports(self) -> tuple[str, ...]:
        return TRACK_FORBIDDEN_IMPORTS.get(self.track, ())

    @property
    def timeout_s(self) -> float:
        """Seconds one call may take by default: 5, unless problem.toml sets `timeout` (training loops)."""
        return float(self.extra.get("timeout", 5.0))

    @property
    def requires(self) -> tuple[str, ...]:
        return TRACK_REQUIRES.get(self.track, ())

    @property
    def picture(self) -> str | None:
        """The grader.kit module that draws what the suite attaches (problem.toml `picture`), if any."""
        return self.extra.get("picture")

    @property
    def aliases(self) -> dict[str, dict[str, str]]:
        """problem.toml `[aliases.<function>]`: keyword names other course years give a parameter, {ours: theirs}.
        A candidate whose signature has theirs and not ours is called with theirs (CS231n's dropout_keep_ratio)."""
        return {fn: dict(names) for fn, names in self.extra.get("aliases", {}).items()}

    @property
    def cs231n_file(self) -> str | None:
        """problem.toml `[cs231n] file`: the file of CS231n's package the problem grades (`grade cs231n`), if any."""
        return self.extra.get("cs231n", {}).get("file")

    @property
    def preload(self) -> tuple[str, ...]:
        """Modules imported before any check runs, in the worker and the grader: the track's framework, plus
        problem.toml's `preload` (torch.optim's first optimizer imports torch._dynamo, 1.5 s of one check's time).

        `grade batch` imports them once and every forked grader and worker inherits them.
        """
        return self.requires + tuple(self.extra.get("preload", ()))

    @property
    def missing(self) -> tuple[str, ...]:
        """Required packages that are not installed (looked up without importing them)."""
        return tuple(name for name in self.requires if not installed(name))

    @property
    def install_hint(self) -> str:
        return TRACK_INSTALL.get(self.track, "")

    def signature(self, function: str) -> str:
        return f"{function}({self.functions[function]})"


def installed(module: str) -> bool:
    """Whether `module` can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or blocked installation counts as missing
        return False


class CatalogError(Exception):
    """A problem folder is malformed; the message says which and how."""


def load_problem(folder: Path) -> Problem:
    path = folder / "problem.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    try:
        return Problem(
            slug=folder.name,
            root=folder.parents[1],
            title=data["title"],
            difficulty=data["difficulty"],
            minutes=int(data["minutes"]),
            track=data.get("track", "numpy"),
            tags=tuple(data.get("tags", ())),
            functions=dict(data["functions"]),
            hints=tuple(data.get("hints", ())),
            source=data.get("source", ""),
            extra={k: v for k, v in data.items() if k not in Problem.__dataclass_fields__},
        )
    except KeyError as exc:
        raise CatalogError(f"{path}: missing required key {exc}") from exc


class Catalog:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or repo_root()

    @cached_property
    def problems(self) -> dict[str, Problem]:
        folders = sorted(p.parent for p in (self.root / "problems").glob("*/problem.toml"))
        return {folder.name: load_problem(folder) for folder in folders}

    def get(self, slug: str) -> Problem | None:
        return self.problems.get(slug)

    def suggest(self, name: str, extra: tuple[str, ...] = ()) -> list[str]:
        pool = list(self.problems) + list(extra)
        close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
        return close or [s for s in pool if name in s or s in name][:3]

    def ordered(self) -> list[Problem]:
        return sorted(self.problems.values(), key=lambda p: (p.track, DIFFICULTY_ORDER.get(p.difficulty, 9), p.slug))
