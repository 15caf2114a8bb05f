"""Runs one `grade` command for the red-team tests and reports what it left behind (standard library only).

    python tests/redteam_launch.py SPEC.json

SPEC gives the grader's argv, cwd and environment, a time limit and a memory ceiling. This process is started
as PID 1 of a fresh PID namespace when the system allows it (`unshare --pid --fork --mount-proc`; see
tests/redteam.py): then a hostile file's `os.kill(-1, ...)` or killpg reaches only this run's processes, every
orphan becomes our child, and everything left dies with us. Otherwise it makes itself a child subreaper, so
orphans of the grader still become its children and can be listed and killed.

While the grader runs, every 50 ms: a grader process (the one we started, one forked from it that is not a
session leader — workers are —, or `grade batch`'s zygote) whose resident memory passes the ceiling is
killed, one stopped for more than `stop_grace_s` (SIGSTOP: it would never resume) is killed, and past
`timeout_s` all of them are killed; each is recorded as an event. After it exits, any process still alive is
recorded as a survivor and killed.
The result (exit code, stdout, stderr, seconds, events, survivors, peak RSS per grader pid) goes to SPEC's
`result` path as JSON.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
POLL_S = 0.05


def _stat(pid: int) -> dict | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read().decode(errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    info = {"pid": pid, "state": fields[0], "ppid": int(fields[1]), "pgid": int(fields[2]), "sid": int(fields[3])}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            info[key] = int(value.split()[0])
    return info


def _cmdline(pid: int) -> str:
    """The command line, with the program text of a `python -c PROGRAM` left out."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except OSError:
        return ""
    if len(argv) > 2 and argv[1] == "-c":
        argv[2] = "…"
    return " ".join(argv).strip()


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _ours(me: int, contained: bool) -> dict[int, dict]:
    """Every process of this run but ourselves: the whole namespace, or our descendants."""
    infos = {pid: info for pid in _all_pids() if pid != me and (info := _stat(pid)) is not None}
    if contained:
        return infos
    children: dict[int, list[int]] = {}
    for pid, info in infos.items():
        children.setdefault(info["ppid"], []).append(pid)
    found, todo = {}, list(children.get(me, []))
    while todo:
        pid = todo.pop()
        if pid in infos and pid not in found:
            found[pid] = infos[pid]
            todo.extend(children.get(pid, []))
    return found


def _reader(stream, sink: bytearray) -> threading.Thread:
    def run() -> None:
        while True:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not chunk:
                return
            sink.extend(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    me = os.getpid()
    contained = me == 1
    if not contained:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    started = time.monotonic()
    proc = subprocess.Popen(
        spec["argv"],
        cwd=spec["cwd"],
        env=spec["env"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    top = proc.pid
    out, err = bytearray(), bytearray()
    readers = [_reader(proc.stdout, out), _reader(proc.stderr, err)]
    events: list[str] = []
    peaks: dict[int, int] = {}
    stopped_since: dict[int, float] = {}
    code: int | None = None
    killed_all = False
    while code is None:
        # Reap everything that ended (as a namespace's init or a subreaper, orphans are ours to reap).
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == top:
                code = os.waitstatus_to_exitcode(status)
        if code is not None:
            break
        now = time.monotonic()
        running = _ours(me, contained)
        if now - started > spec["timeout_s"] and not killed_all:
            events.append(f"the harness stopped the run after {spec['timeout_s']:g} s (the grader had not exited)")
            for pid in running:
                _kill(pid)
            killed_all = True
        for pid, info in running.items():
            if pid != top and info["sid"] == pid and "grader.sandbox.zygote" not in _cmdline(pid):
                continue  # a session leader other than the grader (or batch's zygote): a worker, bounded by its own limits
            peaks[pid] = max(peaks.get(pid, 0), info.get("VmHWM", 0))
            if info.get("VmRSS", 0) > spec["rss_kill_kb"]:
                events.append(
                    f"the harness killed grader process {pid} at {info['VmRSS'] // 1024} MiB resident "
                    f"(ceiling {spec['rss_kill_kb'] // 1024} MiB): {_cmdline(pid)[:120]}"
                )
                _kill(pid)
            if info["state"] in ("T", "t"):
                since = stopped_since.setdefault(pid, now)
                if now - since > spec["stop_grace_s"]:
                    events.append(f"grader process {pid} was stopped (state {info['state']}) for {now - since:.1f} s: "
                                  "it would never have finished; the harness killed it")
                    _kill(pid)
                    stopped_since.pop(pid, None)
            else:
                stopped_since.pop(pid, None)
        time.sleep(POLL_S)
    proc.returncode = code
    seconds = time.monotonic() - started
    for thread in readers:
        thread.join(timeout=2.0)
    time.sleep(0.1)  # a straggler that is only finishing its exit is not a survivor
    survivors = []
    for pid, info in _ours(me, contained).items():
        if info["state"] == "Z":
            continue
        survivors.append({"pid": pid, "ppid": info["ppid"], "state": info["state"], "cmdline": _cmdline(pid)})
        _kill(pid)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.02)
    result = {
        "code": code,
        "stdout": out.decode("utf-8", errors="replace"),
        "stderr": err.decode("utf-8", errors="replace"),
        "seconds": seconds,
        "events": events,
        "survivors": survivors,
        "peaks_kb": {str(pid): kb for pid, kb in peaks.items()},
        "top_pid": top,
        "contained": contained,
    }
    with open(spec["result"], "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
