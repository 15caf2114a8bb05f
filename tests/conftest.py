"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers import Corpus, CorpusGrading, corpus_files

# Every `grade` the tests start records progress here, never in the developer's own store.
os.environ["NORMKATA_HOME"] = tempfile.mkdtemp(prefix="normkata-tests-")
# The tests that run references in this process (spec examples, the PyTorch track against autograd) share
# the two cores with the gradings running beside them: one BLAS and OpenMP thread, as the grader's workers
# have (threads that wait for each other spin on a busy machine: torch_prenorm_stability's spec examples took
# 14 s with two threads, 6.5 s with one, on an idle machine). Set before torch or NumPy starts its pools.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

_CORPUS_KEY = pytest.StashKey[CorpusGrading]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus(file): the test reads the `corpus` grading of its slug's 'reference' or 'stub'")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the corpus run last: every other test runs while the corpus is graded. The hostile
    corpus runs just before them: its gradings run a few at a time and keep both cores busy on their own, so
    the tests that start one grading at a time run while the corpus still has gradings to run beside them."""
    items.sort(key=lambda item: ("corpus" in getattr(item, "fixturenames", ()), item.path.name == "test_hostile.py"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start grading the corpus now, in the background: the tests that run before the first one reading it
    leave a core to spare (each runs one grading at a time)."""
    groups = corpus_files(session.items)
    if groups and not session.config.option.collectonly:
        session.config.stash[_CORPUS_KEY] = CorpusGrading(groups)


def pytest_sessionfinish(session: pytest.Session) -> None:
    grading = session.config.stash.get(_CORPUS_KEY, None)
    if grading is not None:
        grading.stop()


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest) -> Corpus:
    """Every file the selected tests read (references, stubs, mutants, variants), graded once per session."""
    stash = request.config.stash
    if _CORPUS_KEY not in stash:
        stash[_CORPUS_KEY] = CorpusGrading(corpus_files(request.session.items))
    return stash[_CORPUS_KEY].result()


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
