"""What the candidate reads during a session: the clock, the status table, the line under each attempt."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from grader.sessions import Attempt, SessionInfo, SessionRecord, duration

if TYPE_CHECKING:
    from rich.table import Table


def clock_line(info: SessionInfo, now: float) -> str:
    """Where the clock stands: not started, time left, or how far over."""
    if info.deadline is None:
        return f"not begun (the {duration(60 * info.minutes)} start with `grade session begin`)"
    left = info.deadline - now
    return f"{duration(left)} left" if left >= 0 else f"time is up ({duration(-left)} over)"


def begin_message(info: SessionInfo, started_now: bool) -> str:
    deadline = time.strftime("%H:%M:%S", time.localtime(info.deadline))
    if started_now:
        return f"Your {duration(60 * info.minutes)} start now: the time limit is {deadline}. Good luck!"
    return f"This session began at {time.strftime('%H:%M:%S', time.localtime(info.begun_at))}; {clock_line(info, time.time())} (limit {deadline})."


def attempt_note(info: SessionInfo, attempt: Attempt) -> str:
    """The line under a session's scorecard: recorded, and where the clock stands."""
    left = info.deadline - attempt.at
    when = f"{duration(left)} left" if left >= 0 else f"{duration(-left)} over the limit: recorded and marked late"
    return f"session: attempt recorded ({attempt.passed}/{attempt.total} checks pass) · {when}"


def status_table(record: SessionRecord, now: float) -> Table:
    """`grade session status`: the clock, and per problem the attempts, latest score and hints."""
    from rich.table import Table
    from rich.text import Text

    info = record.info
    table = Table(title=Text(f"Session of {info.candidate}: {clock_line(info, now)}"), header_style="bold")
    for column in ("Problem", "Attempts", "Latest score", "Late attempts", "Hints"):
        table.add_column(column, justify="left" if column == "Problem" else "right")
    for slug in info.problems:
        attempts = record.attempts_of(slug)
        latest = f"{attempts[-1].passed}/{attempts[-1].total}" if attempts else "—"
        table.add_row(slug, str(len(attempts)), latest, str(sum(a.late for a in attempts)), str(record.hints_taken(slug)))
    return table
