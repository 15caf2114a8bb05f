"""A candidate's file that belongs to a package (a chain of folders with `__init__.py`), as CS231n's do.

`cs231n/classifiers/fc_net.py` starts with `from ..layers import *`: imported on its own it stops at
"attempted relative import with no known parent package". Imported as `cs231n.classifiers.fc_net`, its
relative (and 2017's absolute `from cs231n.layers import *`) imports reach the candidate's own files. For
that the worker must read the whole package tree, so the tree is what Landlock grants instead of the file:
a tree that holds anything of ours (the checkout's grader, solutions or hidden suites, the progress store),
by path or by inode (a hard link, a bind mount), is refused before any worker starts.
"""

from __future__ import annotations

import keyword
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# A package tree is walked entry by entry (inodes compared); a tree far larger than any assignment is
# refused rather than walked for minutes.
MAX_TREE_ENTRIES = 50_000


@dataclass(frozen=True)
class CandidatePackage:
    root: Path  # the top package folder: what the worker may read
    module: str  # the candidate file's dotted name inside it, e.g. "cs231n.classifiers.fc_net"


def _importable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def package_of(file: Path) -> CandidatePackage | None:
    """The package `file` belongs to, or None for a file that stands alone (the katas' stubs, most hand-ins)."""
    file = file.resolve()
    if not _importable(file.stem) or not (file.parent / "__init__.py").is_file():
        return None
    folder = file.parent
    if not _importable(folder.name):  # a package whose name cannot be imported (e.g. "hw-2"): the file alone
        return None
    parts = [folder.name] if file.stem == "__init__" else [folder.name, file.stem]  # a package's own __init__.py: the package
    while folder.parent != folder and _importable(folder.parent.name) and (folder.parent / "__init__.py").is_file():
        folder = folder.parent
        parts.insert(0, folder.name)
    return CandidatePackage(folder, ".".join(parts))


def package_refusal(package: CandidatePackage, checkout: Path, ours: Iterable[Path]) -> str | None:
    """Why `package`'s tree cannot be granted to the worker (None: it can).

    `ours` are the grader's own trees (the grader, solutions, hidden suites, the store). The tree may sit in
    the checkout (an assignment kept beside the katas), but may neither contain the checkout or one of ours
    nor lie inside one of ours, and no entry of it may be one of their files or folders under another name.
    """
    root = package.root.resolve()
    checkout = checkout.resolve()
    ours = [p.resolve() for p in ours if p.exists()]
    for path in (checkout, *ours):
        if path == root or root in path.parents:
            return f"its package {root} contains {path}, one of the grader's own folders"
    inside = [p for p in ours if p in root.parents]
    if inside:
        return f"its package {root} lies inside {inside[0]}, one of the grader's own folders"
    protected = _inodes(checkout, ours)
    for count, entry in enumerate(_walk(root)):
        if count > MAX_TREE_ENTRIES:
            return f"its package {root} holds more than {MAX_TREE_ENTRIES:,} files and folders; hand in the package alone"
        if _inode(entry) in protected:
            return f"{entry} in its package is one of the grader's own files (a link to it, or a mount)"
    return None


def _walk(root: Path) -> Iterable[Path]:
    """Every entry under root, links not followed (a symbolic link is resolved by the kernel on use, and
    Landlock checks the target's own place, so only hard links and mounts can bring our files inside)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            yield Path(folder) / name


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _inodes(checkout: Path, trees: list[Path]) -> set[tuple[int, int] | None]:
    """The inodes of our trees' folders and files, and of the checkout with its top-level entries only: the
    rest of it (the virtual environment, .git) holds nothing a candidate could not read anyway."""
    found = {_inode(checkout), *(_inode(child) for child in checkout.iterdir())} if checkout.is_dir() else set()
    for tree in trees:
        found.add(_inode(tree))
        if tree.is_dir():
            found.update(_inode(entry) for entry in _walk(tree))
    found.discard(None)
    return found
