"""The one result model: the scorecard, `--json` and (later) the session store all read these."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA_VERSION = 1

# Scorecard order. "load" only appears when the file could not be loaded at all.
CATEGORIES = ("load", "examples", "contract", "hidden", "gradcheck", "speed")


class Status(str, Enum):
    PASS = "pass"  # ran and was right
    FAIL = "fail"  # the candidate's code ran and was wrong, or raised
    ERROR = "error"  # could not run to an answer: the file did not load, a hang, a crash
    SKIP = "skip"  # not run, because an earlier failure made it moot; counts as not passed


# The message of a row whose check never ran to the end: its status stays "skip", or is "error" when the
# grading was interrupted. A row only passes once pytest reports every phase of its check passed.
NOT_RUN = "not run"


def finite_json(value: Any) -> Any:
    """`value` with every float JSON cannot carry (NaN, ±inf: a speed ratio, a picture's numbers) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


# Control characters a terminal obeys (cursor moves, screen clears, "conceal"): text that came from a
# candidate could otherwise paint a passing scorecard over the real one. Newlines and tabs stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe to print and to encode as UTF-8: no terminal controls, no lone surrogates."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text.encode("utf-8", "replace").decode("utf-8"))


@dataclass
class CheckResult:
    name: str
    category: str
    status: Status
    duration_s: float = 0.0
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "status": self.status.value,
            "duration_s": round(self.duration_s, 4),
            "message": self.message,
        }


@dataclass
class CandidateOutput:
    """What the candidate printed during the run (kept up to a limit, the rest counted)."""

    text: str = ""
    total_bytes: int = 0

    @property
    def truncated(self) -> bool:
        return self.total_bytes > len(self.text.encode("utf-8", errors="replace"))


@dataclass
class Picture:
    """Plain data a suite kept for drawing under the scorecard, and the module that draws it.

    `view` names a module of grader.kit with render(data) (a rich renderable) and save_figure(data, path);
    problem.toml's `picture` chooses it, so a report carries everything needed to redraw it later
    (watch mode, session reports, `--json` consumers).
    """

    view: str
    data: Any

    def to_json(self) -> dict[str, Any]:
        return {"view": self.view, "data": self.data}


@dataclass
class GradeReport:
    problem: str
    title: str
    file: str
    seed: int
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    speed_ratio: float | None = None
    speed_of: str = ""  # what speed_ratio compares, when not the candidate's time against the reference's
    output: CandidateOutput = field(default_factory=CandidateOutput)
    # (passed, total) of the full run when `checks` shows some categories folded into counts (sessions)
    counted: tuple[int, int] | None = None
    picture: Picture | None = None
    # What confined the candidate's code: the kernel's layers (see grader.sandbox.lockdown), "guard only"
    # where the system has none, None where no candidate code ran.
    sandbox: dict[str, Any] | str | None = None
    # The signal that interrupted the grading ("SIGINT", "SIGTERM", "SIGHUP"), else None. Its error row
    # keeps the report from passing; the command exits with 128 + the signal's number.
    interrupted: str | None = None
    # Categories of the suite left out on request (`--no-speed`: ["speed"]): the score is of a partial run.
    left_out: tuple[str, ...] = ()

    def make_printable(self) -> None:
        """Every text of the report that candidate code could have shaped, made safe to print (see printable)."""
        for check in self.checks:
            check.name, check.message = printable(check.name), printable(check.message)
        self.output = CandidateOutput(printable(self.output.text), self.output.total_bytes)

    @property
    def passed(self) -> int:
        return self.counted[0] if self.counted else sum(c.status is Status.PASS for c in self.checks)

    @property
    def total(self) -> int:
        return self.counted[1] if self.counted else len(self.checks)

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @classmethod
    def from_json(cls, data: dict[str, Any], title: str = "") -> GradeReport:
        """The inverse of to_json (for reports that crossed a process boundary, e.g. in watch mode)."""
        output = data.get("output") or {}
        return cls(
            problem=data["problem"],
            title=title,
            file=data["file"],
            seed=data["seed"],
            checks=[
                CheckResult(c["name"], c["category"], Status(c["status"]), c["duration_s"], c["message"])
                for c in data["checks"]
            ],
            duration_s=data["duration_s"],
            speed_ratio=data["speed_ratio"],
            speed_of=data.get("speed_of") or "",
            output=CandidateOutput(output.get("text", ""), output.get("total_bytes", 0)),
            picture=Picture(**data["picture"]) if data.get("picture") else None,
            sandbox=data.get("sandbox"),
            interrupted=data.get("interrupted"),
            left_out=tuple(data.get("left_out") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        return finite_json({
            "schema_version": SCHEMA_VERSION,
            "problem": self.problem,
            "file": self.file,
            "seed": self.seed,
            "passed": self.passed,
            "total": self.total,
            "duration_s": round(self.duration_s, 3),
            "speed_ratio": None if self.speed_ratio is None else round(self.speed_ratio, 3),
            "speed_of": self.speed_of,
            "checks": [c.to_json() for c in self.checks],
            "output": {"text": self.output.text, "total_bytes": self.output.total_bytes, "truncated": self.output.truncated},
            "picture": self.picture.to_json() if self.picture else None,
            "sandbox": self.sandbox,
            "interrupted": self.interrupted,
            "left_out": list(self.left_out),
        })
