"""Running the real `grade` command from tests: a subprocess each time, exactly as a user runs it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from grader.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
CATALOG = Catalog(ROOT)
PARALLEL = max(2, os.cpu_count() or 2)
# What a developer's shell may hold for their own pytest runs; no grading may change with it (runner.hermetic_pytest):
# stop at the first failure, rerun last failures (whose cache plugin gradings leave out), load a missing plugin.
USERS_PYTEST_SETTINGS = {"PYTEST_ADDOPTS": "-x --lf", "PYTEST_PLUGINS": "no_such_pytest_plugin"}


@dataclass
class GradeRun:
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    def rows(self, status: str | None = None, category: str | None = None) -> list[dict]:
        return [
            c
            for c in self.report["checks"]
            if (status is None or c["status"] == status) and (category is None or c["category"] == category)
        ]


def grade(
    *args: str,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float = 120,
    started: Callable[[subprocess.Popen], None] = lambda process: None,
) -> GradeRun:
    """`started` is told the process as soon as it runs (whoever may have to stop it early)."""
    full_env = {**os.environ, **(env or {}), "COLUMNS": "160"}
    begun = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "grader", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd or ROOT,
        env=full_env,
    ) as proc:
        started(proc)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    return GradeRun(proc.returncode, stdout, stderr, time.monotonic() - begun)


def grade_many(jobs: Iterable[tuple[str, ...]]) -> list[GradeRun]:
    """Grade several files at once (each grading run is its own process; two cores here)."""
    jobs = list(jobs)
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda args: grade(*args), jobs))


def _hand_in(path: Path, scratch: Path) -> Path:
    if ROOT / "solutions" not in path.resolve().parents:
        return path
    copy = scratch / path.name
    shutil.copy(path, copy)
    return copy.resolve()


@dataclass(frozen=True)
class Specimen:
    """A file of the mutation corpus, with what its header comments promise.

    # mistake: the variance used ddof=1        (what is wrong, for humans)
    # caught-by: hidden, gradcheck              (categories in which at least one row must fail)
    # diagnosis: ddof=1                         (optional: a regex some failing row's message must match)
    # not-said: dropping|did not fall           (optional: a regex no row's message may match: a false claim)
    # speed: not vectorized                      (optional: a regex the speed row's message must match)
    """

    path: Path
    kind: str  # "mutants" or "variants"
    mistake: str
    caught_by: tuple[str, ...]
    diagnosis: str | None
    speed: str | None = None
    not_said: str | None = None

    @property
    def slug(self) -> str:
        return self.path.parent.name

    @property
    def id(self) -> str:
        return f"{self.slug}/{self.path.stem}"


def _header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.+)$", text, re.M)
    return match.group(1).strip() if match else None


def specimens(kind: str) -> list[Specimen]:
    """tests/<kind>/<slug>/*.py: kind is 'mutants' (must be caught) or 'variants' (must pass)."""
    found = []
    for path in sorted((ROOT / "tests" / kind).glob("*/*.py")):
        text = path.read_text(encoding="utf-8")
        caught = _header(text, "caught-by")
        found.append(
            Specimen(
                path,
                kind,
                _header(text, "mistake") or _header(text, "variant") or "",
                tuple(c.strip() for c in caught.split(",")) if caught else (),
                _header(text, "diagnosis"),
                _header(text, "speed"),
                _header(text, "not-said"),
            )
        )
    return found


def _slug_of(value: object) -> str:
    return value.slug if isinstance(value, Specimen) else str(value)


TORCH_AVAILABLE = importlib.util.find_spec("torch") is not None
NEEDS_TORCH = pytest.mark.skipif(not TORCH_AVAILABLE, reason="the PyTorch track needs torch: make install-torch")


def torch_marks(values: list) -> list:
    """Parameters (slugs or specimens) of the PyTorch track are skipped, visibly, when torch is missing."""
    return [pytest.param(v, marks=NEEDS_TORCH) if _slug_of(v).startswith("torch_") else v for v in values]


CORPUS_SEED = "4242"
CORPUS_BATCHES_AT_ONCE = 2  # two corpus drivers grading two files each: one's imports overlap the other's grading


class Corpus(dict):
    """{file: its GradeRun} for every problem file and specimen the session's selected tests read."""

    def reference(self, slug: str) -> GradeRun:
        return self[CATALOG.get(slug).solution.resolve()]

    def stub(self, slug: str) -> GradeRun:
        return self[CATALOG.get(slug).stub.resolve()]

    def specimen(self, specimen: Specimen) -> GradeRun:
        return self[specimen.path.resolve()]


class Group(NamedTuple):
    """Files of one problem graded in one batch: with the speed row or without."""

    slug: str
    speed: bool


Narrowing = dict  # {"only": categories, "until_caught": regex}: grader.core.plugin.Narrowed, as the driver reads it


def corpus_files(items: list[pytest.Item]) -> dict[Group, dict[Path, Narrowing | None]]:
    """What the selected tests using the `corpus` fixture will read, grouped by batch, each file with what its
    grading may leave out (None: nothing).

    A test says which problem file it reads with @pytest.mark.corpus("reference" | "stub") and a `slug`
    parameter; a test with a `specimen` parameter reads that file. Only the specimens whose header promises
    a speed message run the speed row (it is a measurement, never a verdict, and the costliest row); the
    PyTorch track has none. Skipped tests (torch missing) add nothing.

    A mutant's test reads no more of its run than a failing row in each category its header names and, if it
    names a diagnosis, one failing row saying it: it is graded in those categories only, each until a row has
    failed and the diagnosis has been said (two thirds of the mutants' grading time went to rows no test
    read). A mutant with a `not-said` header gets every row, since no row may make that claim.
    """
    groups: dict[Group, dict[Path, Narrowing | None]] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if "corpus" not in getattr(item, "fixturenames", ()) or callspec is None or _skipped(item):
            continue
        marker = item.get_closest_marker("corpus")
        narrowing = None
        if marker is not None:
            problem = CATALOG.get(callspec.params["slug"])
            slug, path, speed = problem.slug, problem.solution if marker.args[0] == "reference" else problem.stub, True
        else:
            specimen = callspec.params["specimen"]
            slug, path, speed = specimen.slug, specimen.path, specimen.speed is not None
            if specimen.kind == "mutants" and not specimen.not_said:
                narrowing = {"only": list(specimen.caught_by), "until_caught": specimen.diagnosis or ""}
        group = Group(slug, speed and CATALOG.get(slug).track != "torch")
        groups.setdefault(group, {}).setdefault(path.resolve(), narrowing)
    return groups


class CorpusDriver:
    """One tests/corpus_driver.py process: `grade batch`'s grading of one batch after another, its imports and
    zygotes paid once. Each call grades a group of one problem's files, like `grade batch SLUG FILES --json -
    --seed CORPUS_SEED --jobs 2 [--no-speed]`, each file narrowed as `corpus_files` says."""

    def __init__(self, started: Callable[[subprocess.Popen], None]) -> None:
        self.errors = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # the driver's stderr
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "corpus_driver.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.errors, text=True, cwd=ROOT,
        )  # fmt: skip
        started(self.process)

    def grade(self, group: Group, files: dict[Path, Narrowing | None]) -> dict[Path, GradeRun]:
        """{file: its run}: each looks like a `grade --json` run of that file, exit code 0 when every check passed."""
        with tempfile.TemporaryDirectory(prefix="normkata-corpus-") as scratch:
            # `grade batch` refuses the grader's own files as hand-ins: the reference is graded as a copy.
            originals = {_hand_in(path, Path(scratch)): path for path in files}
            narrowed = {str(f): files[path] for f, path in originals.items() if files[path] is not None}
            job = {**group._asdict(), "files": [str(f) for f in originals], "narrowed": narrowed, "seed": CORPUS_SEED, "jobs": 2}
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        assert line, f"the corpus driver ended ({self.process.wait(timeout=10)}) while grading {group.slug}: {self.stderr()}"
        document = json.loads(line)
        assert "error" not in document, f"grading {group.slug}'s corpus failed: {document['error']}"
        runs = {}
        for result in document["results"]:
            report = result["report"]
            assert report is not None, f"{result['file']}: {result['error']}"
            code = 0 if report["passed"] == report["total"] and report["total"] else 1
            runs[originals[Path(result["file"])]] = GradeRun(code, json.dumps(report), "", result["seconds"])
        return runs

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()[-3000:]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.errors.close()


class CorpusGrading:
    """The groups graded in the background from the moment this is started (the end of collection), so that
    the grading overlaps the tests that run before the first one reading it.

    Grading is most of `make test`'s time. Each of CORPUS_BATCHES_AT_ONCE threads feeds the groups it takes
    to a corpus driver of its own (tests/corpus_driver.py), which pays the grader's imports (torch's take
    seconds) and its zygotes once, not once per group; the forked graders and workers inherit them. While
    other tests run (each starting gradings of its own), one thread works; once a test waits for the corpus,
    all of them. Each thread keeps to one track while that track has groups left (the first thread the PyTorch
    track's, the others the NumPy track's), so that one driver, not two, imports torch and starts its zygotes;
    then it helps with the other's. Costliest first, so that the last groups are short ones and both cores
    finish together.
    """

    def __init__(self, groups: dict[Group, dict[Path, Narrowing | None]]) -> None:
        self._groups = groups
        self._todo = sorted(groups, key=self._cost, reverse=True)
        self._torch = {group for group in groups if CATALOG.get(group.slug).track == "torch"}
        self._lock = threading.Lock()
        self._corpus = Corpus()
        self._failures: list[BaseException] = []
        self._running: set[subprocess.Popen] = set()
        self._stopped = False
        self._waited = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(CORPUS_BATCHES_AT_ONCE)]
        for thread in self._threads:
            thread.start()

    def _cost(self, group: Group) -> float:
        """Rough CPU seconds, as measured here: the torch track's files cost most, then those with a speed row."""
        if CATALOG.get(group.slug).track == "torch":
            return 0.8 * len(self._groups[group])
        return (1.1 if group.speed else 0.35) * len(self._groups[group])

    def _next(self, index: int) -> Group | None:
        """The costliest group left, of the thread's own track while that has any (thread 0: torch)."""
        with self._lock:
            if self._stopped or not self._todo:
                return None
            own = [group for group in self._todo if (group in self._torch) == (index == 0)]
            group = (own or self._todo)[0]
            self._todo.remove(group)
            return group

    def _work(self, index: int) -> None:
        if index > 0:
            self._waited.wait()
        group = self._next(index)
        if group is None:
            return
        try:
            driver = CorpusDriver(self._track)
        except OSError as exc:
            with self._lock:
                self._failures.append(exc)
            return
        try:
            while group is not None:
                try:
                    runs = driver.grade(group, self._groups[group])
                except BaseException as exc:  # noqa: BLE001 - raised in the test that reads the corpus
                    with self._lock:
                        self._failures.append(exc)
                    return
                with self._lock:
                    self._corpus.update(runs)
                group = self._next(index)
        finally:
            if driver.process.poll() is None:
                driver.close()

    def _track(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.add(process)
            if self._stopped:
                process.kill()

    def result(self) -> Corpus:
        """Every group's runs, once all are graded (the first failure of a batch is raised here)."""
        self._waited.set()
        for thread in self._threads:
            thread.join()
        if self._failures:
            raise self._failures[0]
        return self._corpus

    def stop(self) -> None:
        """The session ended before every test read the corpus (-x, Ctrl-C): no driver is left running."""
        with self._lock:
            self._stopped = True
            self._todo.clear()
            running = list(self._running)
        self._waited.set()
        for process in running:
            if process.poll() is None:
                process.kill()
        for thread in self._threads:
            thread.join(timeout=10)


def _skipped(item: pytest.Item) -> bool:
    return any(marker.args and marker.args[0] for marker in item.iter_markers("skipif"))


def selected(request: pytest.FixtureRequest, values: list, name: str) -> list:
    """The values of parameter `name` that the session's selected tests use: a module fixture grades only those."""
    wanted = [
        item.callspec.params[name]
        for item in request.session.items
        if name in getattr(getattr(item, "callspec", None), "params", {}) and not _skipped(item)
    ]
    return [v for v in values if v in wanted]


def without_module(tmp_path: Path, name: str) -> dict[str, str]:
    """Environment for a `grade` run in which `name` (and its submodules) cannot be imported, as if not installed."""
    site = tmp_path / f"without-{name}"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\n\n\nclass _Blocked:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {name!r} or name.startswith({name + '.'!r}):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n\n\n"
        "sys.meta_path.insert(0, _Blocked())\n"
    )
    return {"PYTHONPATH": str(site)}
