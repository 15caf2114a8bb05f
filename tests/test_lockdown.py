"""The worker's kernel sandbox (grader/sandbox/lockdown.py), tried directly and through `grade`.

The hostile corpus (tests/hostile/) attacks through candidate files; these tests pin down each layer's
claims one by one, and what `grade batch` and interview sessions do where the kernel cannot confine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT, grade

from grader.sandbox.lockdown import kernel_support, missing_protections

KERNEL = not missing_protections(kernel_support())
NEEDS_KERNEL = pytest.mark.skipif(not KERNEL, reason="this system has no Landlock/seccomp: the guard-only tests cover it")

# Each probe runs after lock_down() in a fresh process; the result is "ok" or the exception's name.
PROBES = """
import ctypes, json, os, resource, signal, socket, subprocess, sys, threading
from grader.sandbox import lockdown
candidate, repo, home = sys.argv[1:4]
lockdown.prepare()
status = lockdown.lock_down([candidate], [repo, home])
def libc_fork():
    pid = ctypes.CDLL(None, use_errno=True).fork()
    if pid == 0:
        os._exit(0)
    if pid < 0:
        raise OSError(ctypes.get_errno(), "fork refused")
def sysv_segment():
    if ctypes.CDLL(None, use_errno=True).shmget(0x6e6b0001, 4096, 0o1000 | 0o600) < 0:
        raise OSError(ctypes.get_errno(), "shmget refused")
def attempt(fn):
    try:
        fn()
        return "ok"
    except BaseException as exc:
        return type(exc).__name__
results = {
    "read own file": attempt(lambda: open(candidate).read()),
    "read solution": attempt(lambda: open(os.path.join(repo, "solutions", "layernorm.py")).read()),
    "list hidden": attempt(lambda: os.listdir(os.path.join(repo, "problems", "layernorm", "hidden"))),
    "openat hidden": attempt(lambda: os.open("hidden/test_layernorm.py", os.O_RDONLY,
                                             dir_fd=os.open(os.path.join(repo, "problems", "layernorm"), os.O_PATH))),
    "proc root": attempt(lambda: open("/proc/self/root" + os.path.join(repo, "solutions", "layernorm.py")).read()),
    "parent cwd": attempt(lambda: os.listdir(f"/proc/{os.getppid()}/cwd")),
    "parent environ": attempt(lambda: open(f"/proc/{os.getppid()}/environ").read()),
    "import kit": attempt(lambda: __import__("grader.kit.mistakes")),
    "write tmp": attempt(lambda: open("/tmp/normkata-lockdown-probe", "w")),
    "hard link": attempt(lambda: os.link(candidate, candidate + ".lnk")),
    "rename own": attempt(lambda: os.rename(candidate, candidate + ".moved")),
    "store": attempt(lambda: os.listdir(home)),
    "signal parent": attempt(lambda: os.kill(os.getppid(), 0)),
    "signal all": attempt(lambda: os.kill(-1, 0)),
    "signal self": attempt(lambda: os.kill(os.getpid(), 0)),
    "fork": attempt(os.fork),
    "libc fork": attempt(libc_fork),
    "posix_spawn": attempt(lambda: os.posix_spawn("/bin/true", ["true"], {})),
    "subprocess": attempt(lambda: subprocess.run(["true"])),
    "thread": attempt(lambda: threading.Thread(target=int).start()),
    "socket": attempt(lambda: socket.socket()),
    "raise memory limit": attempt(lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1))),
    "chmod own file": attempt(lambda: os.chmod(candidate, 0o4777)),
    "set xattr": attempt(lambda: os.setxattr(candidate, "user.normkata", b"1")),
    "touch times": attempt(lambda: os.utime(candidate, (0, 0))),
    "sysv shared memory": attempt(sysv_segment),
    "read stdlib": attempt(lambda: __import__("json.tool")),
}
print(json.dumps({"status": status, "results": results}))
"""

DENIED = {
    "read solution", "list hidden", "openat hidden", "proc root", "parent cwd", "parent environ", "import kit",
    "write tmp", "hard link", "rename own", "store", "signal parent", "signal all", "fork", "libc fork", "posix_spawn",
    "subprocess", "thread", "socket", "raise memory limit", "chmod own file", "set xattr", "touch times",
    "sysv shared memory",
}  # fmt: skip
ALLOWED = {"read own file", "signal self", "read stdlib"}


@NEEDS_KERNEL
def test_a_locked_down_process_reads_its_file_and_nothing_of_ours(tmp_path: Path) -> None:
    candidate = tmp_path / "candidate.py"
    candidate.write_text("x = 1\n")
    home = tmp_path / "home"
    home.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", PROBES, str(candidate), str(ROOT), str(home)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    report = json.loads(out.stdout)
    results = report["results"]
    assert {name for name, outcome in results.items() if outcome == "ok"} == ALLOWED, results
    assert set(results) == DENIED | ALLOWED
    assert report["status"]["landlock_abi"] >= 1 and not missing_protections(report["status"])
    assert candidate.exists() and not (tmp_path / "candidate.py.lnk").exists()


@NEEDS_KERNEL
def test_the_report_says_what_confined_the_code() -> None:
    run = grade("layernorm", "--reference", "--no-speed", "--seed", "1", "--json")
    sandbox = run.report["sandbox"]
    assert sandbox["files"] and sandbox["signals"] and sandbox["network"] and sandbox["processes"], sandbox
    assert "Landlock ABI" in grade("layernorm", "--reference", "--no-speed", "--seed", "1").stdout


def test_the_worker_sees_an_allow_listed_environment(candidate_file) -> None:
    reference = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")
    path = candidate_file("import os\nprint(sorted(os.environ))\n" + reference)
    run = grade("layernorm", "--file", str(path), "--no-speed", "--json", env={"SECRET_TOKEN": "hunter2"})
    printed = run.report["output"]["text"]
    assert "OMP_NUM_THREADS" in printed and "SECRET_TOKEN" not in printed and "NORMKATA_HOME" not in printed


GUARD_ONLY = {"NORMKATA_SANDBOX": "guard"}


def test_batch_refuses_to_run_without_the_kernel_sandbox_unless_told(tmp_path: Path) -> None:
    hand_in = tmp_path / "ada" / "layernorm.py"
    hand_in.parent.mkdir()
    hand_in.write_text((ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8"))
    refused = grade("batch", "layernorm", str(hand_in), "--json", "-", "--no-speed", env=GUARD_ONLY)
    assert refused.code == 2 and "--allow-unsandboxed" in refused.stderr
    allowed = grade("batch", "layernorm", str(hand_in), "--json", "-", "--no-speed", "--allow-unsandboxed", env=GUARD_ONLY)
    (result,) = json.loads(allowed.stdout)["results"]
    assert allowed.code == 0 and result["report"]["sandbox"] == "guard only"


def test_sessions_refuse_to_start_without_the_kernel_sandbox_unless_told(tmp_path: Path) -> None:
    args = ("session", "start", "--candidate", "Ada", "--problems", "layernorm", "--minutes", "5")
    env = {**GUARD_ONLY, "NORMKATA_HOME": str(tmp_path / "home")}
    refused = grade(*args, "--dir", str(tmp_path / "refused"), env=env)
    assert refused.code == 2 and "--allow-unsandboxed" in refused.stderr and not (tmp_path / "refused").exists()
    started = grade(*args, "--dir", str(tmp_path / "ws"), "--allow-unsandboxed", env=env)
    assert started.code == 0, started.stderr
    assert grade("session", "begin", cwd=tmp_path / "ws", env=env).code == 0
    run = grade("layernorm", "--no-speed", "--json", cwd=tmp_path / "ws", env=env)
    assert run.report["sandbox"] == "guard only"


@NEEDS_KERNEL
def test_a_sandboxed_session_refuses_a_grading_the_kernel_cannot_confine(tmp_path: Path) -> None:
    env = {"NORMKATA_HOME": str(tmp_path / "home")}
    started = grade("session", "start", "--candidate", "Ada", "--problems", "layernorm", "--dir", str(tmp_path / "ws"), env=env)
    assert started.code == 0, started.stderr
    assert grade("session", "begin", cwd=tmp_path / "ws", env=env).code == 0
    run = grade("layernorm", "--no-speed", "--json", cwd=tmp_path / "ws", env={**env, **GUARD_ONLY})
    (load,) = run.rows(category="load")
    assert run.code == 1 and "kernel sandbox is required" in load["message"]


def test_guard_only_mode_still_refuses_the_casual_attacks(candidate_file, tmp_path: Path) -> None:
    victim = tmp_path / "victim.py"
    victim.write_text("kept = True\n")
    source = textwrap.dedent(f"""
        import os
        for attempt in (lambda: open({str(victim)!r}, "w"), lambda: os.remove({str(victim)!r}),
                        lambda: os.kill(os.getppid(), 0), lambda: open({str(ROOT / "solutions" / "layernorm.py")!r})):
            try:
                attempt()
                print("ALLOWED")
            except PermissionError as exc:
                print("refused:", exc)
    """)
    run = grade("layernorm", "--file", str(candidate_file(source)), "--no-speed", "--json", env=GUARD_ONLY)
    printed = run.report["output"]["text"]
    assert "ALLOWED" not in printed and printed.count("refused") == 4, printed
    assert victim.read_text() == "kept = True\n"


def test_batch_workers_hold_nothing_of_the_grader(tmp_path: Path) -> None:
    """Workers come from the zygote, a fresh interpreter: not the kit's formulas, not the grader's environment."""
    reference = (ROOT / "solutions" / "layernorm.py").read_text(encoding="utf-8")
    probe = "import os, sys\nprint(sorted(m for m in sys.modules if m.startswith('grader')), sorted(os.environ))\n"
    hand_in = tmp_path / "ada" / "layernorm.py"
    hand_in.parent.mkdir()
    hand_in.write_text(probe + reference)
    run = grade("batch", "layernorm", str(hand_in), "--json", "-", "--no-speed", env={"SECRET_TOKEN": "hunter2"})
    (result,) = json.loads(run.stdout)["results"]
    printed = result["report"]["output"]["text"]
    assert "grader.sandbox.worker" in printed and "grader.kit" not in printed and "grader.core" not in printed, printed
    assert "SECRET_TOKEN" not in printed and "NORMKATA_HOME" not in printed
    assert result["report"]["passed"] == result["report"]["total"]


def test_text_from_the_candidate_cannot_drive_the_terminal() -> None:
    """Escape sequences printed by the candidate (clear the screen, move the cursor, conceal) never reach it."""
    path = ROOT / "tests" / "hostile" / "layernorm" / "paints_a_passing_scorecard.py"
    run = grade("layernorm", "--file", str(path), "--no-speed", "--seed", "1")
    assert run.code == 1 and "\x1b" not in run.stdout and "Score 0/39" in run.stdout


def test_batch_refuses_links_and_the_graders_own_files(tmp_path: Path) -> None:
    link = tmp_path / "ada" / "layernorm.py"
    link.parent.mkdir()
    link.symlink_to(ROOT / "solutions" / "layernorm.py")
    run = grade("batch", "layernorm", str(tmp_path), "--json", "-", "--no-speed")
    assert run.code == 2 and "is a link" in run.stderr
    run = grade("layernorm", "--file", str(ROOT / "solutions" / "layernorm.py"), "--no-speed", "--json")
    assert run.code == 2 and "the grader's own files" in run.stderr
