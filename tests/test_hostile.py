"""The hostile corpus: broken, careless, mischievous and attacking candidate files, each with its promises.

tests/hostile/<slug>/<case>.py starts with header comments:

    # hostile: what the file does                (or # careless:, # broken:, # constraint:, # attack: CLASS)
    # args: --timeout 1                          (extra grade options; optional)
    # within: 15                                 (seconds the whole `grade` run may take)
    # exit: 1                                    (optional, default 1; `any`: 0 or 1)
    # expect: error/load: a regex                (some row with this status [and category] matches)
    # no-pass                                    (no row may pass)
    # output-over: 4000000                       (the captured output counted at least this many bytes)
    # no-math                                    (the file computes nothing right: the verdict must be failing)
    # speed-ratio-over: 3                        (the honest speed ratio is at least this: a faked timing fails)
    # speed-row                                  (graded with the speed row; so is a file whose promise
                                                  names the speed row: every other file is graded without it)
    # needs: pidns                               (only graded inside a PID namespace, or under the kernel
                                                  sandbox's signal scoping: it signals processes it must not)
    # runs: 2                                    (graded twice in the same checkout: what the first run left)
    # batch: alone                               (in `grade batch`, graded in a batch of its own beside the
                                                  honest hand-in: when it wins it takes the whole batch down,
                                                  or changes what every later file is graded against)
    # batch: first                               (in `grade batch`, graded before the rest of its batch: an
                                                  attack that only a batch makes possible, which a batch
                                                  wrecked by another file's win would hide)

Every file is graded with --json in a throwaway copy of the checkout (tests/redteam.py), through `grade batch`
(below), and singly too when its promise is about something only a single grading has: an attack on the grader
as the worker's parent (signals), on the grader's own memory or output, or on the store a single grading writes;
the speed row; a second grading in the same checkout; options of its own (a shorter timeout, a smaller memory
limit: a batch grades every file with the same ones); its place in the checkout (it reads its own __file__).
A file whose promise is only about its scorecard is held to it on its batch report, the same grading of the
same file. Every file, whatever its header, is held to the same invariants on top of its promises, in each
grading it gets:

- a well-formed verdict: exit 0 or 1 (never a crash, a signal or a hang), exactly one JSON object whose counts
  agree with its rows, in under 30 s; for a `no-math` file, failing (exit 1, not every row passing); in a batch,
  one JSON document for the whole batch and, per file, a report whose counts agree with its rows, or its error;
- the checkout unchanged (every file under grader/, problems/, solutions/, compiled bytecode included);
- the store unchanged: the seeded history intact, the session record byte-identical, no foreign file, and
  exactly one new attempt per single grading, agreeing with its report and holding the file that was graded
  (a batch records none);
- no process left behind (whatever is alive in the run's PID namespace, or among the launcher's orphans,
  once the grader has exited; and anything carrying the file's marker `nkrt-<stem>`);
- the grader's own peak resident memory under 1 GiB;
- nothing else reached: HOME, the classmate's file beside the submission (in a batch: the honest hand-in), the
  harness's TCP and abstract socket listeners, the Python installation, the grader's secret environment
  variable, and the text of the reference solution or the hidden suite in the output (in a batch: in each
  file's report); no Python traceback on the grader's stderr.

Every problem's corpus is graded with `grade batch`, beside an honest hand-in (a copy of the reference
solution), which must pass every check, untouched; the batch must leave the same things unchanged. The
attacks' batches give a call 2 s, so that files which hang spend less of the batch; the files graded only in
a batch for their scorecard's sake get a batch of their own with the options their single grading would have.
Files marked `batch: alone` get a batch of their own (with their own honest hand-in): when they win they take
the whole batch down, which would hide what every other file of the problem did.

Safety. Attacks that write, rename or delete only ever reach the run's throwaway copy, store and HOME (they
find their targets at run time, as an attacker would: through the `grader` package the worker imported, the
grader's /proc entries, NORMKATA_HOME or HOME; never a guessed default). Signals: the grader is started in a
session of its own by a launcher it cannot reach, so SIGKILL, SIGTERM or killpg aimed at the grader end only
that grading, and a SIGSTOPped grader is killed after 2 s and reported (it would hang forever); `kill(-1)` and
killing the grader's ancestors are graded only inside a PID namespace, where "everyone" is that run's own
processes, or else only when the report says the kernel sandbox scopes signals. A grader made to allocate
gigabytes is killed at 2 GiB resident. The file that plants a .pth in site-packages writes only a comment,
and the harness deletes it. NORMKATA_REDTEAM_CHECKOUT=<dir> attacks the grader of another checkout (say an
older commit, to watch the suite go red); NORMKATA_REDTEAM_NO_NAMESPACE=1 forces the launcher's fallback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redteam
from helpers import ROOT, TORCH_AVAILABLE, selected

SEED = "5"
WITHIN_S = 30.0
HOSTILE = ROOT / "tests" / "hostile"


@dataclass
class Promise:
    path: Path
    args: list[str] = field(default_factory=list)
    within: float = 10.0
    exit: int | None = 1
    expects: list[tuple[str, str | None, str]] = field(default_factory=list)
    no_pass: bool = False
    output_over: int = 0
    attack: str = ""
    no_math: bool = False
    needs: tuple[str, ...] = ()
    runs: int = 1
    speed_ratio_over: float | None = None
    batch: str = ""
    speed_row: bool = False

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @property
    def needs_speed(self) -> bool:
        """The speed row is graded only where the promise is about it: it is the costliest row."""
        return self.speed_row or self.speed_ratio_over is not None or any(c == "speed" for _, c, _ in self.expects)

    @property
    def slug(self) -> str:
        return self.path.parent.name

    @property
    def marker(self) -> str:
        return f"nkrt-{self.path.stem}"


def _promise(path: Path) -> Promise:
    promise = Promise(path)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[2:].partition(":")
        key, value = key.strip(), value.strip()
        if key == "args":
            promise.args = shlex.split(value)
        elif key == "within":
            promise.within = float(value)
        elif key == "exit":
            promise.exit = None if value == "any" else int(value)
        elif key == "output-over":
            promise.output_over = int(value)
        elif key == "no-pass":
            promise.no_pass = True
        elif key == "no-math":
            promise.no_math = True
        elif key == "attack":
            promise.attack = value.split(":")[0].strip()
        elif key == "needs":
            promise.needs = tuple(v.strip() for v in value.split(","))
        elif key == "runs":
            promise.runs = int(value)
        elif key == "speed-ratio-over":
            promise.speed_ratio_over = float(value)
        elif key == "batch":
            promise.batch = value
        elif key == "speed-row":
            promise.speed_row = True
        elif key == "expect":
            where, _, pattern = value.partition(": ")
            status, _, category = where.partition("/")
            promise.expects.append((status, category or None, pattern))
    return promise


PROMISES = [_promise(p) for p in sorted(HOSTILE.glob("*/*.py"))]
# Every file is graded through `grade batch`. A file is graded singly too when it attacks what only a single
# grading has: the grader as the worker's parent (signals), the grader's own memory and output, the store it
# writes; or when its promise needs a single grading: the speed row, a second run in the same checkout, options
# of its own, its place in the checkout. A file whose promise is about its scorecard alone is held to it on its
# batch report: a grading forked by `grade batch` is the same `grade()` behind the same worker lockdown, and
# what only a single grading has (the store's attempt, the CLI's exit, the worker as the grader's child) is
# held by the files above and the controls. Attacks on the worker's confinement meet the same lockdown in both
# (tests/test_lockdown.py probes the single grading's worker layer by layer); NORMKATA_REDTEAM_SINGLE=all
# grades every file singly.
SINGLE_CLASSES = {"signal", "memory", "forge-output", "write-store"}
ALL_SINGLY = os.environ.get("NORMKATA_REDTEAM_SINGLE") == "all"


def _graded_singly(promise: Promise) -> bool:
    own_options = [a for a in promise.args if a != "--no-speed"]  # a batch grades every file with the same ones
    # A file that finds its targets from its own path (__file__) needs the place the corpus keeps it in a checkout.
    placed = "__file__" in promise.path.read_text(encoding="utf-8")
    return (ALL_SINGLY or promise.attack in SINGLE_CLASSES or promise.needs_speed or promise.runs > 1 or bool(own_options)
            or (not promise.attack and placed))


SINGLE = [p for p in PROMISES if _graded_singly(p)]
IDS = [p.id for p in SINGLE]
SLUGS = sorted({p.slug for p in PROMISES})


# ----------------------------------------------------------------------------- grading the corpus
@pytest.fixture(scope="module")
def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redteam")


def _grade(root: Path, promise: Promise) -> redteam.RedRun:
    args = ["--seed", SEED, "--json", *promise.args, *(() if promise.needs_speed else ("--no-speed",))]
    return redteam.run_hostile(root / f"{promise.slug}-{promise.path.stem}", promise.slug, promise.path, args,
                               promise.marker, promise.runs)


@pytest.fixture(scope="module")
def controls(session_root: Path) -> dict[str, redteam.RedRun]:
    """The reference solution of each problem with files graded singly, graded through the same harness: it
    must leave no trace at all (the harness's own false positives would show here first), and it says whether
    the kernel sandbox holds. A batch has its own control: the honest hand-in beside its files."""
    slugs = sorted({p.slug for p in SINGLE if TORCH_AVAILABLE or not _needs_torch(p)})

    def control(slug: str) -> redteam.RedRun:
        path = redteam.CATALOG.get(slug).solution
        return redteam.run_hostile(session_root / f"control-{slug}", slug, path, ["--seed", SEED, "--json", "--no-speed"],
                                   "nkrt-control")

    return dict(zip(slugs, redteam.in_parallel(slugs, control)))


def _signals_scoped(controls: dict[str, redteam.RedRun]) -> bool:
    for run in controls.values():
        try:
            sandbox = run.report.get("sandbox")
        except ValueError:
            return False
        if not (isinstance(sandbox, dict) and sandbox.get("signals")):
            return False
    return True


def _needs_torch(promise: Promise) -> bool:
    return promise.slug.startswith("torch_") or "torch" in promise.needs


def _skip_reason(promise: Promise, controls: dict[str, redteam.RedRun]) -> str:
    if _needs_torch(promise) and not TORCH_AVAILABLE:
        return "needs torch: make install-torch"
    if "pidns" in promise.needs and not redteam.CONTAINED and not _signals_scoped(controls):
        return ("signals every process it can reach: graded only inside a PID namespace (unavailable here) or when "
                "the report's sandbox field says signals are scoped (it does not)")
    return ""


@pytest.fixture(scope="module")
def graded(request: pytest.FixtureRequest, session_root: Path, controls: dict) -> tuple[dict, dict]:
    """Every single grading and every batch the selected tests read, in one pool: the batches first, largest
    first, then the singles, slowest first, so that the cores stay busy until they finish together. The pool
    holds one grading more than there are cores: many of these gradings spend seconds waiting (an import that
    never ends, a grader stopped by SIGSTOP, a call's timeout), and with one per core the core sat idle
    meanwhile (this module alone: 57-58 s with two at once, 48-51 s with three, 54 s with four; CPU alike).

    ({promise id: its single grading}, {group id: its batch, or why it was skipped})."""
    promises = selected(request, PROMISES, "promise")
    singles = sorted((p for p in promises if not _skip_reason(p, controls)), key=lambda p: -p.within * p.runs)
    groups, batches = _wanted_batches(request, controls)
    groups.sort(key=lambda g: -len(g.promises))

    def grade(job: Promise | Group) -> redteam.RedRun | redteam.BatchRun:
        return _grade_batch(session_root, job) if isinstance(job, Group) else _grade(session_root, job)

    done = redteam.in_parallel([*groups, *singles], grade, workers=redteam.PARALLEL + 1)
    batches.update(zip([g.id for g in groups], done[: len(groups)]))
    runs = dict(zip([p.id for p in singles], done[len(groups) :]))
    for p in promises:
        if p.id not in runs:
            runs[p.id] = redteam.RedRun(-1, "", "", 0.0, skipped=_skip_reason(p, controls))
    return runs, batches


@pytest.fixture(scope="module")
def runs(graded: tuple[dict, dict]) -> dict[str, redteam.RedRun]:
    return graded[0]


def _run(runs: dict, promise: Promise) -> redteam.RedRun:
    run = runs[promise.id]
    if run.skipped:
        pytest.skip(run.skipped)
    return run


def _rows_summary(report: dict) -> str:
    return f"{report['passed']}/{report['total']} pass; " + "; ".join(
        f"{r['status']}/{r['category']}: {r['message'][:100]}" for r in report["checks"] if r["status"] != "pass"
    )[:600]


# ----------------------------------------------------------------------------- the harness itself
def test_harness_grades_the_copy_and_a_reference_leaves_no_trace(controls: dict) -> None:
    for slug, run in controls.items():
        assert not run.grader_used, run.grader_used
        assert run.code == 0, f"{slug}: the reference did not pass in the harness ({run.code}): {run.stderr[-800:]}"
        found = run.repo + run.store + run.home + run.classmate + run.survivors + run.events + run.network + run.venv
        assert not found, f"{slug}: the harness reports changes for the reference itself: {found}"
        assert all(kb is not None and kb < redteam.RSS_LIMIT_KB for kb in run.rss_kb), run.rss_kb


# ----------------------------------------------------------------------------- promises of each file
@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_hostile_file_gets_an_honest_scorecard(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.stdout.strip(), f"no report at all: the grader ended with {run.code}; {run.events}; {run.stderr[-1000:]}"
    report = run.report  # one valid JSON object, whatever the file printed or did
    if promise.exit is not None:
        assert run.code == promise.exit, f"exit {run.code}: {_rows_summary(report)}"
    assert run.seconds < promise.within, f"took {run.seconds:.1f} s, promised under {promise.within} s"
    _assert_expected_rows(promise, report["checks"])
    assert report["output"]["total_bytes"] >= promise.output_over
    if promise.speed_ratio_over is not None:
        assert not _faked_speed(promise, report), _faked_speed(promise, report)


def _assert_expected_rows(promise: Promise, rows: list[dict]) -> None:
    for status, category, pattern in promise.expects:
        matching = [r for r in rows if r["status"] == status and (category is None or r["category"] == category)]
        assert any(re.search(pattern, r["message"]) for r in matching), (
            f"no {status}{'/' + category if category else ''} row matches /{pattern}/; rows: "
            + "; ".join(f"{r['status']}/{r['category']}: {r['message'][:120]}" for r in rows
                        if r["status"] != "pass" or r["category"] == category)
        )
    if promise.no_pass:
        assert not [r for r in rows if r["status"] == "pass"]


def _faked_speed(promise: Promise, report: dict) -> str:
    """Why the speed figure of a file that is at least `speed-ratio-over` times slower than the reference is
    a lie: it claims less, on a passing speed row ("" when it is honest, or the grader refused to measure)."""
    speed = [r for r in report["checks"] if r["category"] == "speed"]
    ratio = report.get("speed_ratio")
    if not speed or any(r["status"] != "pass" for r in speed):
        return ""  # a speed row that caught the trick (or did not run) claims nothing
    if ratio is None or ratio < promise.speed_ratio_over:
        return (f"speed ratio {ratio} on a passing speed row, but this file is at least {promise.speed_ratio_over}x "
                f"slower than the reference: the timing was faked ({speed[0]['message'][:300]})")
    return ""


def test_corpus_is_large_enough() -> None:
    assert len(PROMISES) >= 30 and all(p.expects or p.exit != 1 or p.no_math or p.attack for p in PROMISES)
    attacks = [p for p in PROMISES if p.attack]
    classes = {p.attack for p in attacks}
    assert len(attacks) >= 40 and {"signal", "read-protected", "write-repo", "write-store", "spawn", "network", "memory",
                                    "patch-worker", "batch-tamper"} <= classes, classes


# ----------------------------------------------------------------------------- invariants every file is held to
def _verdict_problems(promise: Promise, run: redteam.RedRun) -> list[str]:
    problems = list(run.grader_used) + list(run.events)
    for i, launch in enumerate(run.launches, start=1):
        where = f"run {i}: " if len(run.launches) > 1 else ""
        code = launch["code"]
        if code not in (0, 1):
            problems.append(f"{where}the grader ended with {code} (not a verdict): {launch['stderr'][-600:]}")
            continue
        if launch["seconds"] >= WITHIN_S:
            problems.append(f"{where}took {launch['seconds']:.1f} s")
        try:
            report = json.loads(launch["stdout"])
        except ValueError as exc:
            problems.append(f"{where}stdout is not exactly one JSON object ({exc}): {launch['stdout'][:300]!r}")
            continue
        problems += [where + p for p in _report_problems(promise, report, code)]
    return problems


def _report_problems(promise: Promise, report: dict, code: int) -> list[str]:
    """What is wrong with one grading's report, given its verdict (the exit status, or a batch's pass/fail)."""
    problems = []
    rows = report.get("checks") or []
    passing = sum(r.get("status") == "pass" for r in rows)
    if report.get("problem") != promise.slug or report.get("passed") != passing or report.get("total") != len(rows):
        problems.append(f"the report's counts disagree with its rows: {report.get('passed')}/{report.get('total')} "
                        f"vs {passing}/{len(rows)}")
    if any(r.get("status") not in ("pass", "fail", "error", "skip") for r in rows):
        problems.append("a row has an unknown status")
    if code != (0 if rows and passing == len(rows) else 1):
        problems.append(f"exit {code} for {passing}/{len(rows)} passing rows")
    if promise.no_math and (code != 1 or (rows and passing == len(rows))):
        problems.append(f"a file with no correct math of its own got a passing verdict: {_rows_summary(report)}")
    return problems


def _leaked(promise: Promise, shown: str) -> list[str]:
    """Lines of the reference solution or the hidden suite in what the grading showed (the file's own excepted)."""
    own = promise.path.read_text(encoding="utf-8", errors="replace")
    return [line for line in redteam.protected_lines(promise.slug) if line in shown and line not in own]


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_verdict_is_well_formed_and_fails_closed(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    problems = _verdict_problems(promise, run)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_checkout_unchanged(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    assert not run.repo, "the grading changed the checkout:\n" + "\n".join(run.repo[:40])


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_store_unchanged(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    assert not run.store, "the progress store or a session record was touched:\n" + "\n".join(run.store)


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_no_process_left_behind(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    assert not run.survivors, "still running after the grader exited:\n" + "\n".join(run.survivors)


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_grader_memory_bounded(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    killed = [e for e in run.events if "resident" in e]
    assert not killed, killed
    for kb in run.rss_kb:
        assert kb is not None, "the grader's peak memory is unknown (it did not exit normally)"
        assert kb < redteam.RSS_LIMIT_KB, f"the grader itself peaked at {kb / 1024:.0f} MiB resident"


@pytest.mark.parametrize("promise", SINGLE, ids=IDS)
def test_nothing_else_reached(promise: Promise, runs: dict) -> None:
    run = _run(runs, promise)
    problems = [f"HOME: {c}" for c in run.home] + run.classmate + run.venv
    problems += [f"the harness's listener heard from it: {m[:200]!r}" for m in run.network]
    for i, launch in enumerate(run.launches, start=1):
        if redteam.SECRET in launch["stdout"] + launch["stderr"]:
            problems.append(f"run {i}: the grader's secret environment variable reached the output")
        try:
            shown = json.loads(launch["stdout"])["output"]["text"]
        except (ValueError, KeyError, TypeError):
            shown = launch["stdout"]
        leaked = _leaked(promise, shown)
        if leaked:
            problems.append(f"run {i}: {len(leaked)} lines of the reference solution or hidden suite reached the "
                            f"candidate's output, e.g. {leaked[0]!r}")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- the corpus through `grade batch`
@dataclass(frozen=True, eq=False)
class Group:
    slug: str
    promises: tuple[Promise, ...]
    alone: bool
    speed: bool = False  # graded with the speed row (the files whose promise is about it)
    # The files whose promise is about their scorecard alone, graded only in a batch: with the options their
    # single grading would have (the problem's call timeout), not the short one that bounds the attacks' batches.
    scorecard: bool = False

    @property
    def id(self) -> str:
        if self.alone:
            return f"{self.slug}/{self.promises[0].path.stem}"
        return f"{self.slug}/speed" if self.speed else f"{self.slug}/scorecard" if self.scorecard else self.slug


def _scorecard_only(promise: Promise) -> bool:
    return not promise.attack and promise not in SINGLE


def _groups() -> list[Group]:
    groups = []
    for slug in SLUGS:
        mine = [p for p in PROMISES if p.slug == slug]
        for speed in (False, True):
            together = tuple(p for p in mine if p.batch != "alone" and p.needs_speed == speed and not _scorecard_only(p))
            if together:
                groups.append(Group(slug, together, False, speed))
        scorecards = tuple(p for p in mine if p.batch != "alone" and _scorecard_only(p))
        if scorecards:
            groups.append(Group(slug, scorecards, False, scorecard=True))
        groups += [Group(slug, (p,), True, p.needs_speed) for p in mine if p.batch == "alone"]
    return groups


GROUPS = _groups()


def _group_of(promise: Promise) -> Group:
    return next(g for g in GROUPS if promise in g.promises)


def _wanted_batches(request: pytest.FixtureRequest, controls: dict) -> tuple[list[Group], dict[str, str]]:
    """The batches the selected tests read (their files that can be graded here), and why the others are skipped."""
    wanted = {g.id for g in selected(request, GROUPS, "group")}
    wanted |= {_group_of(p).id for p in selected(request, PROMISES, "batch_promise")}
    todo, skipped = [], {}
    for group in GROUPS:
        if group.id not in wanted:
            continue
        runnable = tuple(p for p in group.promises if not _skip_reason(p, controls))
        if not runnable:
            skipped[group.id] = _skip_reason(group.promises[0], controls)
        else:
            todo.append(dataclasses.replace(group, promises=runnable))
    return todo, skipped


def _grade_batch(root: Path, group: Group) -> redteam.BatchRun:
    return redteam.run_batch(root / f"batch-{group.id.replace('/', '-')}", group.slug,
                             [p.path for p in group.promises], [p.marker for p in group.promises],
                             [] if group.speed else ["--no-speed"],
                             first=tuple(p.path.stem for p in group.promises if p.batch == "first"),
                             call_timeout=None if group.scorecard else redteam.BATCH_CALL_TIMEOUT_S)


@pytest.fixture(scope="module")
def batches(graded: tuple[dict, dict]) -> dict[str, redteam.BatchRun | str]:
    return graded[1]


def _batch(batches: dict, group: Group) -> redteam.BatchRun:
    found = batches[group.id]
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.mark.parametrize("group", GROUPS, ids=[g.id for g in GROUPS])
def test_batch_honest_hand_in_is_graded_untouched(group: Group, batches: dict) -> None:
    batch = _batch(batches, group)
    assert not batch.error, batch.error + f"\nstderr: {batch.launch['stderr'][-1500:]}\nevents: {batch.launch['events']}"
    assert not batch.honest_changed, "the honest hand-in's file was changed during the batch"
    report = batch.reports.get("<honest>")
    assert report is not None, f"the honest hand-in has no report: {batch.errors.get('<honest>')}"
    assert report["total"] and report["passed"] == report["total"], f"the honest hand-in: {_rows_summary(report)}"


@pytest.mark.parametrize("group", GROUPS, ids=[g.id for g in GROUPS])
def test_batch_leaves_no_trace(group: Group, batches: dict) -> None:
    batch = _batch(batches, group)
    problems = list(batch.launch["events"])
    if batch.launch["code"] not in (0, 1):
        problems.append(f"grade batch ended with {batch.launch['code']}: {batch.launch['stderr'][-800:]}")
    if batch.error:
        problems.append(batch.error)
    if redteam.SECRET in batch.launch["stdout"] + batch.launch["stderr"]:
        problems.append("the grader's secret environment variable reached the output")
    if "Traceback" in batch.launch["stderr"]:
        problems.append(f"a traceback on the grader's stderr: {batch.launch['stderr'][-1500:]}")
    problems += [f"checkout: {c}" for c in batch.repo[:30]]
    problems += [f"store: {c}" for c in batch.store]
    problems += [f"HOME: {c}" for c in batch.home]
    problems += [f"left running: {s}" for s in batch.survivors]
    problems += [f"the harness's listener heard: {m[:200]!r}" for m in batch.network]
    problems += batch.venv
    problems += [f"grader memory: {who} peaked at {kb / 1024:.0f} MiB" for who, kb in batch.rss.items() if kb >= redteam.RSS_LIMIT_KB]
    assert not problems, "\n".join(problems)


BATCH_PROMISES = [p for p in PROMISES if p.no_math or p.speed_ratio_over is not None or p not in SINGLE]


@pytest.mark.parametrize("batch_promise", BATCH_PROMISES, ids=[p.id for p in BATCH_PROMISES])
def test_hostile_file_fails_in_batch(batch_promise: Promise, batches: dict, controls: dict) -> None:
    promise = batch_promise
    reason = _skip_reason(promise, controls)
    if reason:
        pytest.skip(reason)
    batch = _batch(batches, _group_of(promise))
    assert not batch.error, batch.error
    assert promise.path.stem in batch.reports, f"no result for this file in the batch: {sorted(batch.reports)}"
    report = batch.reports[promise.path.stem]
    if report is None:
        # No report is a failing verdict (the batch says why in its error), where a failing verdict is the promise.
        assert promise.attack and promise.exit != 0, f"no report: {batch.errors.get(promise.path.stem)}"
        return
    if promise.no_math:
        assert report["total"] and report["passed"] < report["total"], (
            f"a file with no correct math of its own passed every check in the batch: {_rows_summary(report)}"
        )
    if promise.speed_ratio_over is not None:
        assert not _faked_speed(promise, report), "in the batch: " + _faked_speed(promise, report)
    if promise not in SINGLE:  # graded only here: its promises and a single grading's invariants hold in the batch
        _assert_batch_grading(promise, report, batch.seconds[promise.path.stem])


def _assert_batch_grading(promise: Promise, report: dict, seconds: float) -> None:
    """A file graded only in a batch is held to what its single grading would be: its scorecard promises, a
    well-formed verdict in time, and no line of ours in its output (the batch's own invariants are checked above)."""
    code = 0 if report["total"] and report["passed"] == report["total"] else 1
    problems = _report_problems(promise, report, code)
    if promise.exit is not None and code != promise.exit:
        problems.append(f"a {'passing' if code == 0 else 'failing'} verdict, promised exit {promise.exit}: {_rows_summary(report)}")
    if not promise.attack and seconds >= min(promise.within, WITHIN_S):  # as its single grading was held to
        problems.append(f"its grading took {seconds:.1f} s, promised under {min(promise.within, WITHIN_S):g} s")
    if report["output"]["total_bytes"] < promise.output_over:
        problems.append(f"its output counted {report['output']['total_bytes']} bytes, promised at least {promise.output_over}")
    leaked = _leaked(promise, report["output"]["text"])
    if leaked:
        problems.append(f"{len(leaked)} lines of the reference solution or hidden suite reached its output, e.g. {leaked[0]!r}")
    assert not problems, "\n".join(problems)
    _assert_expected_rows(promise, report["checks"])
