"""The session report as Markdown: readable in a terminal, and pasted whole into a hiring tool.

Each attempt's code is given as a diff against the previous attempt (the first against the original
stub), so every version can be read without repeating the whole file; the final code is given in full.
"""

from __future__ import annotations

import re

from grader.session_report import (
    ATTEMPTED, ProblemResult, SessionReport, at_deadline_phrase, category_scores, final_detail, final_phrase, header_lines, hint_phrase,
    not_attempted_line, score, shown_categories, spent_phrase, spent_short, unfinished_rows,
)  # fmt: skip
from grader.sessions import SessionInfo, duration


def to_markdown(report: SessionReport) -> str:
    info = report.info
    lines = [f"# normkata session report: {info.candidate}", "", *(f"- {line}" for line in header_lines(report)), ""]
    lines += [f"| Problem | {report.deadline_label} | Final | Attempts | Hints | First to last attempt |", "|---|---|---|---|---|---|"]
    for p in report.problems:
        deadline = at_deadline_phrase(p, info) if p.attempts else "—"
        cells = [p.slug, deadline, final_phrase(p), str(len(p.attempts)), str(len(p.hints)), spent_short(p, info)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    for p in report.problems:
        lines += ["", f"## {p.slug} — {p.title}", ""] + _problem(p, info, report.deadline_label)
    return "\n".join(lines).rstrip() + "\n"


def _problem(p: ProblemResult, info: SessionInfo, deadline_label: str) -> list[str]:
    if p.status != ATTEMPTED and not p.attempts:
        return [not_attempted_line(p, info) if p.status != "file missing" else "The workspace file is missing, and no attempt was recorded."]
    lines = [f"- {deadline_label}: **{at_deadline_phrase(p, info)}**"]
    if p.final is not None:
        lines.append(f"- Final: **{final_phrase(p)}** ({final_detail(p, info)})")
    else:
        lines.append(f"- Final: the workspace file {p.slug}/{p.slug}.py is missing")
    lines.append(f"- Time spent: {spent_phrase(p, info)}")
    lines.append(f"- Hints: {', '.join(hint_phrase(h, info) for h in p.hints) or 'none'}")
    lines += ["", "### Attempts", ""] + _attempts_table(p, info)
    lines += ["", "Each attempt's code as a diff against the previous one (the first against the original stub):"]
    for number, (attempt, diff) in enumerate(zip(p.attempts, p.diffs()), 1):
        late = " (late)" if attempt.late else ""
        lines += ["", f"#### Attempt {number}, at {duration(info.after_start(attempt.at))}: {score(attempt.report)}{late}", ""]
        lines += _fenced(diff, "diff") if diff else [f"The same code as attempt {number - 1}." if number > 1 else "The original stub, unchanged."]
    if p.final is not None:
        failing, not_run = unfinished_rows(p.final.report)
        if failing or not_run:
            lines += ["", "### Failing checks of the final code", ""]
            lines += [_item(f"{c.category} · {c.name}: {c.message}") for c in failing]
            lines += [f"- {count} more checks did not run: {reason}" for reason, count in not_run.items()]
        lines += ["", f"### Final code (sha256 {p.final.code_sha256[:12]})", ""] + _fenced(p.final.code, "python")
        changes = p.late_changes()
        if changes and p.final_late:
            lines += ["", "### Changes after the deadline", ""] + _fenced(changes, "diff")
    return lines


def _attempts_table(p: ProblemResult, info: SessionInfo) -> list[str]:
    categories = shown_categories(p)
    rows = ["| # | At | Score | " + " | ".join(categories) + " | File |", "|---" * (len(categories) + 4) + "|"]
    for number, attempt in enumerate(p.attempts, 1):
        per = category_scores(attempt.report)
        cells = [
            str(number), duration(info.after_start(attempt.at)) + (" (late)" if attempt.late else ""), score(attempt.report),
            *[f"{per[c][0]}/{per[c][1]}" if c in per else "—" for c in categories], attempt.report.file,
        ]  # fmt: skip
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _fenced(text: str, language: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks in the candidate's text."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return [f"{fence}{language}", text.rstrip("\n"), fence]


# What would let text the candidate shaped (an exception's message, a file name) act as Markdown: emphasis that
# fakes a score, an HTML comment that hides the rows after it, a heading, a link, a code span.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~!])")


def _plain(text: str) -> str:
    """Text shown as it is, whatever Markdown it holds."""
    return _MARKUP.sub(r"\\\1", text)


def _cell(text: str) -> str:
    return _plain(text).replace("\n", " ")


def _item(text: str) -> str:
    """A list item of plain text whose further lines stay inside it."""
    return "- " + _plain(text.rstrip()).replace("\n", "\n  ")
