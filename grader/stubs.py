"""`grade reset`: the problem's stub put back, and the user's file kept as a dated backup, never lost."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from grader.catalog import Problem


def restore_stub(problem: Problem) -> tuple[bool, Path | None]:
    """Write the pristine stub over the working file: (whether anything changed, where the old file went)."""
    pristine = problem.pristine_stub.read_bytes()
    if problem.stub.is_file() and problem.stub.read_bytes() == pristine:
        return False, None
    backup = None
    if problem.stub.is_file():
        backup = _free_backup_path(problem)
        shutil.copy2(problem.stub, backup)
    problem.stub.write_bytes(pristine)
    return True, backup


def _free_backup_path(problem: Problem) -> Path:
    """backups/<slug>-<date>-<time>.py, with -2, -3 ... when two resets fall in the same second."""
    problem.backups.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup, counter = problem.backups / f"{problem.slug}-{stamp}.py", 1
    while backup.exists():
        counter += 1
        backup = problem.backups / f"{problem.slug}-{stamp}-{counter}.py"
    return backup
