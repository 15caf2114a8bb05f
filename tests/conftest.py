"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers import Corpus, corpus_files, grade_corpus

# Every `grade` the tests start records progress here, never in the developer's own store.
os.environ["NORMKATA_HOME"] = tempfile.mkdtemp(prefix="normkata-tests-")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus(file): the test reads the `corpus` grading of its slug's 'reference' or 'stub'")


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest) -> Corpus:
    """Every file the selected tests read (references, stubs, mutants, variants), graded once per session."""
    return grade_corpus(corpus_files(request.session.items))


@pytest.fixture
def candidate_file(tmp_path: Path):
    """Write a candidate file from source text and return its path."""

    def write(source: str, name: str = "candidate.py", raw: bytes | None = None) -> Path:
        path = tmp_path / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(source, encoding="utf-8")
        return path

    return write
