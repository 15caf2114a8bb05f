"""The red-team harness: grade hostile files where they can do no harm, and check everything they could touch.

Every grading runs against a throwaway copy of the checkout (grader/, problems/, solutions/ and the top-level
files, with the bytecode compiled once in a template so that any later change to it shows), with:

- its own NORMKATA_HOME, seeded with an earlier attempt, a hint, a solution seen and an interview session's
  record, and its own HOME (a seeded .bashrc);
- the submission where the corpus keeps it (tests/hostile/<slug>/ of the copy, left out of the comparison),
  beside a classmate's file (a copy of the reference solution);
- a canary secret in the grader's environment (INTERVIEWER_API_TOKEN);
- the grader started through tests/redteam_launch.py, as PID 1 of a fresh PID namespace where the system
  allows it (`unshare --pid --fork --mount-proc`, plus a user namespace when not root): a file that signals
  every process (`kill(-1)`), the grader's group or its ancestors reaches only that run's processes, and
  nothing it starts can outlive the run. Where no namespace can be made, the launcher is a child subreaper
  instead, and the files marked `# needs: pidns` run only if a first grading reported the kernel sandbox's
  signal scoping in force (otherwise they are skipped, with the reason);
- the grader's own peak resident memory taken in the grader process (RUSAGE_SELF at exit, and for `grade
  batch` in each forked grader after its file), with the launcher's /proc sampling as a fallback and a kill
  ceiling of 2 GiB that keeps the machine safe from a grader made to allocate 8 GB.

The copy is used with PYTHONPATH pointing at it and `python -c <wrapper>` run from inside it, so the copy's
grader is the one that runs (the venv's editable install maps `grader` to the real checkout, but only after
sys.path has been searched); every run checks that, through the path of the `grader` package it imported.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from helpers import CATALOG, PARALLEL, ROOT, GradeRun

LAUNCHER = Path(__file__).with_name("redteam_launch.py")
# The checkout whose grader is attacked: this one, or another (say an older commit, to see the suite go red).
SOURCE = Path(os.environ.get("NORMKATA_REDTEAM_CHECKOUT") or ROOT).resolve()
COPIED = ("grader", "problems", "solutions", "pyproject.toml", "README.md", "Makefile")
SKIPPED_NAMES = {"__pycache__", "backups", ".pytest_cache"}
SECRET_NAME = "INTERVIEWER_API_TOKEN"
SECRET = "nkrt-canary-" + os.urandom(8).hex()
RSS_LIMIT_KB = 1024 * 1024  # the grader's own peak resident memory must stay under 1 GiB
RSS_KILL_KB = 2 * 1024 * 1024  # past this the harness kills a grader process: the machine comes first
SINGLE_TIMEOUT_S = 45.0  # the launcher's own limit; the invariant is 30 s
BATCH_TIMEOUT_S = 300.0
BATCH_CALL_TIMEOUT_S = 2.0  # a call's timeout in the attacks' batches: files that hang spend less of the batch
LISTEN_PORTS = range(47100, 47200)  # the network attacks scan this range for the harness's listener
ABSTRACT_SOCKET = b"\0normkata-redteam-listener"

# The grader's process, wrapped: its own peak RSS goes to $NKRT_STATS (popped, so no worker sees it).
WRAPPER = r"""
import json, os, resource, sys
_stats = os.environ.pop("NKRT_STATS")
_me = os.getpid()
def _dump(tag):
    try:
        with open(_stats, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), "tag": tag,
                                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}) + "\n")
    except OSError:
        pass
import atexit
atexit.register(lambda: os.getpid() == _me and _dump("main"))
if sys.argv[1:2] == ["batch"]:
    try:
        import grader.batch as _batch
        _grade = _batch.grade
        def _measured(problem, path, *args, **kwargs):
            try:
                return _grade(problem, path, *args, **kwargs)
            finally:
                _dump(str(path))
        _batch.grade = _measured
    except Exception as exc:
        _dump("no per-file figures: %r" % (exc,))
import grader
with open(_stats, "a") as f:
    f.write(json.dumps({"grader_package": grader.__file__}) + "\n")
sys.argv = ["grade"] + sys.argv[1:]
from grader.cli import main
main()
"""


# ----------------------------------------------------------------------------- containment
def _probe_namespace() -> list[str] | None:
    """The unshare prefix that makes a PID namespace here, or None (NORMKATA_REDTEAM_NO_NAMESPACE=1: never)."""
    if os.environ.get("NORMKATA_REDTEAM_NO_NAMESPACE") or not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return None
    base = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    candidates = [base] if os.geteuid() == 0 else []
    candidates.append(["unshare", "--user", "--map-current-user", "--pid", "--fork", "--mount-proc", "--kill-child"])
    for prefix in candidates:
        try:
            done = subprocess.run([*prefix, sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == "1":
            return prefix
    return None


NAMESPACE = _probe_namespace()
CONTAINED = NAMESPACE is not None


# ----------------------------------------------------------------------------- the template checkout
_template_lock = threading.Lock()
_template: tuple[Path, dict[str, str]] | None = None


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIPPED_NAMES or n.endswith(".egg-info")}


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """{relative path: digest of its type, mode and content (a symlink: its target)} for a whole tree."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d not in skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.normpath(os.path.join(rel_folder, name))
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                found[rel] = "link:" + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                found[rel + "/"] = f"dir:{stat.S_IMODE(st.st_mode):o}"
            elif stat.S_ISREG(st.st_mode):
                try:
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                except OSError as exc:
                    digest = f"unreadable:{exc.errno}"
                found[rel] = f"file:{stat.S_IMODE(st.st_mode):o}:{digest}"
            else:
                found[rel] = f"other:{st.st_mode:o}"
    return found


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    out = [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"added {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out


def template(base: Path) -> tuple[Path, dict[str, str]]:
    """The checkout as the grader sees it, with every module it imports compiled: copied once per session."""
    global _template
    with _template_lock:
        if _template is None:
            tree = base / "template"
            tree.mkdir(parents=True)
            for name in COPIED:
                source = SOURCE / name
                if source.is_dir():
                    shutil.copytree(source, tree / name, ignore=_ignore, symlinks=True)
                elif source.exists():
                    shutil.copy2(source, tree / name)
            for folder in ("grader", "problems", "solutions"):
                compileall.compile_dir(str(tree / folder), quiet=2, workers=1)
            _template = (tree, snapshot(tree))
        return _template


# ----------------------------------------------------------------------------- the network listener
class Listener:
    """A TCP port in LISTEN_PORTS and an abstract unix socket, recording what anyone sends them."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.sockets: list[socket.socket] = []
        self.port: int | None = None
        for port in LISTEN_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            s.listen(16)
            self.sockets.append(s)
            self.port = port
            break
        try:
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.bind(ABSTRACT_SOCKET)
            u.listen(16)
            self.sockets.append(u)
        except OSError:
            pass
        for s in self.sockets:
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.settimeout(2.0)
            data = b""
            try:
                while len(data) < 4096:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            finally:
                conn.close()
            self.received.append(data.decode(errors="replace") or "<connected, sent nothing>")


_listener: Listener | None = None


def listener() -> Listener:
    global _listener
    with _template_lock:
        if _listener is None:
            _listener = Listener()
        return _listener


# ----------------------------------------------------------------------------- one run's world
def seed_store(home: Path, slug: str) -> dict:
    """An interviewer's store with history: what an attack must neither erase, rewrite nor add to."""
    from grader.store import SCHEMA

    home.mkdir(parents=True)
    with sqlite3.connect(home / "normkata.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute(
            "INSERT INTO attempts (at, problem, file, code, code_sha256, seed, passed, total, speed_ratio, report)"
            " VALUES (1.0, ?, 'earlier.py', 'earlier', ?, 1, 3, 40, NULL, '{}')",
            (slug, hashlib.sha256(b"earlier").hexdigest()),
        )
        db.execute("INSERT INTO hints (at, problem, level) VALUES (2.0, ?, 1)", (slug,))
        db.execute("INSERT INTO solutions_seen (at, problem) VALUES (3.0, 'batchnorm')")
    db.close()
    (home / "sessions").mkdir()
    try:
        from grader.sessions import SCHEMA as SESSION_SCHEMA
    except ImportError:
        SESSION_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    with sqlite3.connect(home / "sessions" / "seeded-session.db") as db:
        db.executescript(SESSION_SCHEMA)
        db.execute("INSERT INTO meta (key, value) VALUES ('candidate', 'Ada L.')")
    db.close()
    return {"rows": store_rows(home), "session": snapshot(home / "sessions")}


def store_rows(home: Path) -> dict[str, list]:
    path = home / "normkata.db"
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'view', 'trigger') ORDER BY name")]
        rows = {"<schema>": [tuple(r) for r in db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")]}
        for table in ("attempts", "hints", "solutions_seen"):
            if table in tables:
                rows[table] = [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
    db.close()
    return rows


STORE_FILES = {"normkata.db", "normkata.db-wal", "normkata.db-shm", "sessions/", "sessions/seeded-session.db",
               "sessions/seeded-session.db-wal", "sessions/seeded-session.db-shm"}


def store_problems(home: Path, seeded: dict, gradings: list[tuple[dict | None, str]], slug: str) -> list[str]:
    """What is wrong with the store after the run: `gradings` are (report, sha256 of the graded file) for
    every `grade --file` run that printed a report (each records exactly one attempt); [] for a batch."""
    problems = []
    files = snapshot(home)
    for extra in sorted(set(files) - STORE_FILES):
        problems.append(f"unexpected file in the store: {extra}")
    for gone in ("normkata.db", "sessions/seeded-session.db"):
        if gone not in files:
            problems.append(f"{gone} was deleted")
    problems += [f"interview session record: {c}" for c in changes(seeded["session"], snapshot(home / "sessions"))
                 if not c.endswith(("-wal", "-shm"))]
    try:
        rows = store_rows(home)
    except sqlite3.Error as exc:
        return problems + [f"the store cannot be read: {exc}"]
    before = seeded["rows"]
    if rows.get("<schema>") != before["<schema>"]:
        problems.append(f"the store's schema changed: {rows.get('<schema>')}")
    for table in ("hints", "solutions_seen"):
        if rows.get(table) != before[table]:
            problems.append(f"table {table} changed: {before[table]} -> {rows.get(table)}")
    attempts = rows.get("attempts", [])
    if attempts[:1] != before["attempts"]:
        problems.append(f"the earlier attempt was rewritten or removed: {attempts[:1]}")
    new = attempts[1:]
    if len(new) != len(gradings):
        problems.append(f"{len(new)} attempts recorded for {len(gradings)} gradings: "
                        + "; ".join(f"{r[2]} {r[7]}/{r[8]}" for r in new))
    for row, (report, digest) in zip(new, gradings):
        # id, at, problem, file, code, code_sha256, seed, passed, total, speed_ratio, report
        if row[2] != slug or (report and (row[7], row[8]) != (report["passed"], report["total"])):
            problems.append(f"recorded attempt {row[2]} {row[7]}/{row[8]} does not match the report "
                            f"({report and report['passed']}/{report and report['total']})")
        if row[5] != digest:
            problems.append("recorded attempt's code is not the file that was graded")
    return problems


def seed_home(home: Path) -> dict[str, str]:
    home.mkdir(parents=True)
    (home / ".bashrc").write_text("# the interviewer's shell settings\nexport EDITOR=vi\n")
    (home / ".profile").write_text("# profile\n")
    return snapshot(home)


@dataclass
class World:
    """One run's throwaway checkout, store, home and submission folder."""

    base: Path
    slug: str
    repo: Path = field(init=False)
    store: Path = field(init=False)
    home: Path = field(init=False)
    repo_before: dict = field(init=False)
    store_seeded: dict = field(init=False)
    home_before: dict = field(init=False)

    def __post_init__(self) -> None:
        tree, snap = template(self.base.parent)
        self.repo = self.base / "repo"
        # `cp -a` makes the copy shutil.copytree(symlinks=True) made (modes, times, links) without Python's calls
        # per file: 0.03 CPU-s a copy against 0.09 with two copies at once, as the two gradings make them here.
        self.base.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", "--", str(tree), str(self.repo)], check=True)
        self.repo_before = snap
        self.store = self.base / "store"
        self.store_seeded = seed_store(self.store, self.slug)
        self.home = self.base / "home"
        self.home_before = seed_home(self.home)

    def env(self, stats: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NORMKATA_", "PYTEST_", "NKRT_"))}
        env.update({
            "NORMKATA_HOME": str(self.store), "HOME": str(self.home), "PYTHONPATH": str(self.repo),
            "COLUMNS": "160", SECRET_NAME: SECRET, "NKRT_STATS": str(stats),
        })
        return env

    def launch(self, args: list[str], tag: str, timeout: float) -> dict:
        """Run `grade ARGS` (from inside the copy) through the launcher; the launcher's result plus RSS figures."""
        out = self.base / f"launch-{tag}"
        out.mkdir()
        stats = out / "stats.jsonl"
        spec = {
            "argv": [sys.executable, "-c", WRAPPER, *args], "cwd": str(self.repo), "env": self.env(stats),
            "timeout_s": timeout, "rss_kill_kb": RSS_KILL_KB, "stop_grace_s": 2.0, "result": str(out / "result.json"),
        }
        (out / "spec.json").write_text(json.dumps(spec))
        command = [*(NAMESPACE or []), sys.executable, str(LAUNCHER), str(out / "spec.json")]
        try:
            subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            pass
        try:
            result = json.loads((out / "result.json").read_text())
        except (OSError, ValueError):
            result = {"code": None, "stdout": "", "stderr": "", "seconds": timeout, "survivors": [], "peaks_kb": {},
                      "events": ["the launcher itself did not report (killed, or it crashed)"], "top_pid": None}
        result["stats"] = []
        if stats.exists():
            for line in stats.read_text().splitlines():
                try:
                    result["stats"].append(json.loads(line))
                except ValueError:
                    result["stats"].append({"garbage": line[:200]})
        return result

    def repo_changes(self) -> list[str]:
        return changes(self.repo_before, snapshot(self.repo, skip=("tests",)))

    def home_changes(self) -> list[str]:
        return changes(self.home_before, snapshot(self.home))

    def discard(self) -> None:
        """The copy is only evidence until compared; the launch results stay for a post-mortem."""
        shutil.rmtree(self.repo, ignore_errors=True)


# ----------------------------------------------------------------------------- results
@dataclass
class RedRun(GradeRun):
    """The last grading of a hostile file (code, stdout, ... as `helpers.GradeRun`) and what the run left."""

    launches: list[dict] = field(default_factory=list)
    repo: list[str] = field(default_factory=list)
    store: list[str] = field(default_factory=list)
    home: list[str] = field(default_factory=list)
    classmate: list[str] = field(default_factory=list)
    survivors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    rss_kb: list[int | None] = field(default_factory=list)
    grader_used: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    venv: list[str] = field(default_factory=list)
    skipped: str = ""


def _grader_rss(launch: dict) -> int | None:
    for entry in launch["stats"]:
        if entry.get("tag") == "main":
            return entry["maxrss_kb"]
    top = launch.get("top_pid")
    return launch["peaks_kb"].get(str(top)) if top is not None else None


def _grader_used(launch: dict, repo: Path) -> list[str]:
    used = [e["grader_package"] for e in launch["stats"] if "grader_package" in e]
    return [f"the grader that ran was {p}, not the copy's" for p in used if not p.startswith(str(repo))] + (
        [] if used else ["the wrapper never reported which grader it imported"])


def marker_survivors(marker: str) -> list[str]:
    """Processes anywhere on the system whose command line holds `marker`; killed once listed.

    Inside a PID namespace nothing can outlive the run (the launcher lists what was left, then the kernel
    kills the rest with it), so this only runs without one."""
    found = []
    if not marker or CONTAINED:
        return found
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and "redteam_launch" not in cmd and "unshare" not in cmd:
            found.append(f"pid {name}: {cmd[:160]}")
            try:
                os.kill(int(name), 9)
            except OSError:
                pass
    return found


def venv_canaries(marker: str) -> list[str]:
    """Files an attack planted in the Python installation (named after its marker); removed once listed."""
    import site
    import sysconfig

    found = []
    folders = {*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    for folder in folders:
        for path in Path(folder).glob(f"*{marker}*"):
            found.append(f"planted {path}")
            path.unlink(missing_ok=True)
    return found


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc}"


def run_hostile(base: Path, slug: str, path: Path, args: list[str], marker: str, runs: int = 1) -> RedRun:
    """Grade `path` (as problem `slug`) `runs` times in one world; gather everything the run left."""
    world = World(base, slug)
    # Where the corpus file sits in a checkout (some files find things relative to their own path); the
    # checkout's tests/ folder is the submission's own place and is left out of the checkout's comparison.
    folder = world.repo / "tests" / "hostile" / slug
    folder.mkdir(parents=True)
    submission = folder / path.name
    shutil.copy2(path, submission)
    graded_digest = hashlib.sha256(submission.read_text(encoding="utf-8", errors="replace").encode()).hexdigest()
    classmate = folder / "classmate.py"
    shutil.copy2(CATALOG.get(slug).solution, classmate)
    classmate_digest = _sha(classmate)
    heard_before = len(listener().received)
    launches, gradings = [], []
    for i in range(runs):
        launch = world.launch([slug, "--file", str(submission), *args], f"run{i + 1}", SINGLE_TIMEOUT_S)
        launches.append(launch)
        if launch["code"] in (0, 1):
            try:
                gradings.append((json.loads(launch["stdout"]), graded_digest))
            except ValueError:
                gradings.append((None, graded_digest))
    last = launches[-1]
    run = RedRun(last["code"] if last["code"] is not None else -999, last["stdout"], last["stderr"], last["seconds"])
    run.launches = launches
    run.repo = world.repo_changes()
    run.store = store_problems(world.store, world.store_seeded, gradings, slug)
    run.home = world.home_changes()
    run.classmate = [] if _sha(classmate) == classmate_digest else [f"{classmate.name} beside the submission was changed or deleted"]
    for launch in launches:
        run.survivors += [f"pid {s['pid']} ({s['state']}, parent {s['ppid']}): {s['cmdline'][:160]}" for s in launch["survivors"]]
        run.events += launch["events"]
        run.rss_kb.append(_grader_rss(launch))
        run.grader_used += _grader_used(launch, world.repo)
    run.survivors += marker_survivors(marker)
    run.network = [m for m in listener().received[heard_before:] if marker and marker in m]
    run.venv = venv_canaries(marker) if marker else []
    world.discard()
    return run


@dataclass
class BatchRun:
    """One `grade batch` of several hostile files beside an honest hand-in."""

    launch: dict
    document: dict | None
    error: str
    reports: dict[str, dict | None]  # stem -> report (None: the file has no report), "<honest>" for the honest one
    errors: dict[str, str]
    seconds: dict[str, float]  # stem -> how long its grading took, from its grader's fork to its report
    honest_changed: bool
    repo: list[str]
    store: list[str]
    home: list[str]
    survivors: list[str]
    rss: dict[str, int]  # stem or "<batch>" -> peak RSS in kB
    network: list[str]
    venv: list[str]


HONEST = "zz-honest"  # sorts last: graded after every hostile file of its batch


def run_batch(base: Path, slug: str, paths: list[Path], markers: list[str], extra: list[str], first: tuple[str, ...] = (),
              call_timeout: float | None = BATCH_CALL_TIMEOUT_S) -> BatchRun:
    """`paths` graded by one `grade batch` in folders h-<stem> (a-<stem> for the stems in `first`, graded
    before the others), beside the honest hand-in, graded last; `call_timeout` None: the problem's own."""
    world = World(base, slug)
    handins = base / "handins"
    for path in paths:
        folder = handins / f"{'a' if path.stem in first else 'h'}-{path.stem}"
        folder.mkdir(parents=True)
        shutil.copy2(path, folder / f"{slug}.py")
    honest = handins / HONEST / f"{slug}.py"
    honest.parent.mkdir(parents=True)
    shutil.copy2(CATALOG.get(slug).solution, honest)
    honest_digest = _sha(honest)
    heard_before = len(listener().received)
    timeout = ["--timeout", f"{call_timeout:g}"] if call_timeout is not None else []
    args = ["batch", slug, str(handins), "--json", "-", "--seed", "5", "--jobs", "2", *timeout, *extra]
    launch = world.launch(args, "batch", BATCH_TIMEOUT_S)
    if launch["code"] == 2 and "--allow-unsandboxed" in launch["stderr"]:
        launch = world.launch([*args, "--allow-unsandboxed"], "batch-unsandboxed", BATCH_TIMEOUT_S)
    document, error = None, ""
    try:
        document = json.loads(launch["stdout"])
    except ValueError as exc:
        error = f"stdout is not one JSON document ({exc}): {launch['stdout'][:300]!r}"
    reports: dict[str, dict | None] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    if document is not None:
        for result in document.get("results", []):
            folder = Path(result["file"]).parent.name
            stem = "<honest>" if folder == HONEST else folder[2:]
            reports[stem] = result.get("report")
            errors[stem] = result.get("error") or ""
            seconds[stem] = result.get("seconds", 0.0)
    rss: dict[str, int] = {}
    for entry in launch["stats"]:
        if "tag" in entry:
            tag = entry["tag"]
            key = "<batch>" if tag == "main" else ("<honest>" if HONEST in tag else Path(tag).parent.name[2:])
            rss[key] = max(rss.get(key, 0), entry["maxrss_kb"])
    for pid, kb in launch["peaks_kb"].items():
        if not any(e.get("pid") == int(pid) for e in launch["stats"]):
            rss[f"<process {pid}>"] = kb
    survivors = [f"pid {s['pid']} ({s['state']}): {s['cmdline'][:160]}" for s in launch["survivors"]]
    for marker in markers:
        survivors += marker_survivors(marker)
    network = [m for m in listener().received[heard_before:] if any(k and k in m for k in markers)]
    venv = [v for marker in markers if marker for v in venv_canaries(marker)]
    found = BatchRun(
        launch, document, error, reports, errors, seconds, _sha(honest) != honest_digest, world.repo_changes(),
        store_problems(world.store, world.store_seeded, [], slug), world.home_changes(), survivors, rss, network, venv,
    )
    world.discard()
    return found


def in_parallel(jobs: list, work, workers: int = PARALLEL) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, jobs))


def new_base() -> Path:
    return Path(tempfile.mkdtemp(prefix="normkata-redteam-"))


def protected_lines(slug: str) -> list[str]:
    """Distinctive lines of the problem's reference solution and hidden suite: none may reach the output."""
    problem = CATALOG.get(slug)
    sources = [problem.solution, *sorted(problem.hidden.glob("*.py"))]
    lines = []
    for source in sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if len(text) >= 40 and not re.fullmatch(r"[#\"'=\-\s]*", text):
                lines.append(text)
    return lines
