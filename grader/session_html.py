"""The session report as one self-contained HTML page: no external assets, opens offline, prints.

Code is highlighted by Pygments and wraps at the page's edge instead of being clipped (each source line is
a block with its number beside it, so a wrapped line keeps one number); each attempt's diff and code are
folded under it; the timeline is inline SVG. The page's only script opens the folds before printing, and
its Content-Security-Policy allows nothing else to load or run.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer, PythonLexer

from grader.session_chart import color, timeline_svg
from grader.session_report import (
    ATTEMPTED, MISSING, ProblemResult, SessionReport, at_deadline_phrase, category_scores, final_detail, final_phrase, header_lines,
    hint_phrase, not_attempted_line, score, shown_categories, spent_phrase, spent_short, unfinished_rows, wall_clock,
)  # fmt: skip
from grader.sessions import SessionInfo, duration

PRINT_SCRIPT = "addEventListener('beforeprint', () => document.querySelectorAll('details').forEach((d) => { d.open = true; }));"
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()
POLICY = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{_SCRIPT_HASH}'"

STYLE = """
:root { --ink: #1d2125; --muted: #5c6670; --line: #d8dee4; --soft: #f5f7f9; --good: #2b8a3e; --part: #b7791f; --bad: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1160px; padding: 24px 28px 48px; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 26px; margin: 0 0 6px; } h2 { font-size: 21px; margin: 34px 0 8px; padding-top: 10px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
.meta { color: var(--muted); margin: 2px 0; font-size: 14px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.score { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.good { color: var(--good); font-weight: 600; } .part { color: var(--part); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
.late { color: var(--bad); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; margin-left: 6px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.chart { display: block; max-width: 100%; height: auto; }
.chart .grid { stroke: #e9ecef; } .chart .axis { stroke: #868e96; } .chart .tick, .chart .label { font-size: 12px; fill: #5c6670; }
.chart .limit { stroke: var(--bad); stroke-dasharray: 6 4; stroke-width: 1.5; } .chart .limit-label { font-size: 12px; fill: var(--bad); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; color: var(--muted); margin: 4px 0 0 52px; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; }
.attempt { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.attempt header { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; }
.attempt header b { min-width: 7.5em; }
.chip { font-size: 12px; padding: 1px 7px; border-radius: 10px; background: var(--soft); border: 1px solid var(--line); white-space: nowrap; }
.chip.good { color: var(--good); } .chip.part { color: var(--part); } .chip.bad { color: var(--bad); }
.file { color: var(--muted); font-size: 13px; margin-left: auto; overflow-wrap: anywhere; }
details { margin: 6px 0 0; } summary { cursor: pointer; color: #1f4f99; font-size: 14px; }
ul.failing { padding-left: 20px; } ul.failing li { margin: 4px 0; } ul.failing .msg { white-space: pre-wrap; overflow-wrap: anywhere; }
pre.code { margin: 6px 0; padding: 8px 0; background: #fbfbfc; border: 1px solid var(--line); border-radius: 6px;
           font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; counter-reset: line;
           white-space: normal; tab-size: 4; }
pre.code .l { display: block; position: relative; padding: 0 12px 0 4.2em; min-height: 1.45em; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.code.numbered .l::before { counter-increment: line; content: counter(line); position: absolute; left: 0; width: 3.2em;
           text-align: right; color: #98a2ad; user-select: none; }
pre.code.diff .l { padding-left: 12px; }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-before: page; border-top: none; } h2.first { break-before: auto; }
  .attempt, pre.code .l, tr, .facts { break-inside: avoid; }
  summary { color: var(--ink); }
  @page { margin: 14mm; }
}
"""


def to_html(report: SessionReport) -> str:
    info = report.info
    title = f"normkata session report: {info.candidate}"
    body = [f"<h1>{escape(title)}</h1>", *(f'<p class="meta">{escape(line)}</p>' for line in header_lines(report))]
    body += ['<h2 class="first">Overview</h2>', _overview(report)]
    chart = timeline_svg(report)
    body += ["<h3>Score over time</h3>", chart + _legend(report) if chart else '<p class="none">No attempt or hint was recorded.</p>']
    for index, p in enumerate(report.problems):
        body += [f'<h2 id="{escape(p.slug)}">{escape(p.slug)} — {escape(p.title)}</h2>', _problem(p, info, index, report.deadline_label)]
    body.append(f"<footer>Written by normkata's <code>grade session report</code> on {escape(wall_clock(report.generated_at))}.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}{HtmlFormatter(style='default').get_style_defs('.hl')}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{PRINT_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _overview(report: SessionReport) -> str:
    info = report.info
    headers = ("Problem", report.deadline_label, "Final", "Attempts", "Hints", "First to last attempt")
    rows = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr>"]
    for p in report.problems:
        final = _graded(final_phrase(p), p.final.report if p.final else None)
        deadline = _graded(at_deadline_phrase(p, info), p.at_deadline_grading.report if p.at_deadline_grading else None) if p.attempts else "—"
        rows.append(
            f'<tr><td><a href="#{escape(p.slug)}">{escape(p.slug)}</a></td><td class="score">{deadline}</td><td class="score">{final}</td>'
            f'<td class="num">{len(p.attempts)}</td><td class="num">{len(p.hints)}</td><td>{escape(spent_short(p, info))}</td></tr>'
        )
    return "\n".join(rows) + "</table>"


def _legend(report: SessionReport) -> str:
    keys = [f'<span><i style="background:{color(i)}"></i>{escape(p.slug)}</span>' for i, p in enumerate(report.problems) if p.attempts]
    keys.append("<span>hollow point: a late attempt · ▲ under the axis: a hint</span>")
    return f'<div class="legend">{"".join(keys)}</div>'


def _problem(p: ProblemResult, info: SessionInfo, index: int, deadline_label: str) -> str:
    if p.status != ATTEMPTED and not p.attempts:
        line = not_attempted_line(p, info) if p.status != MISSING else "The workspace file is missing, and no attempt was recorded."
        return f'<p class="none">{escape(line)}</p>'
    final = (
        f"{_graded(final_phrase(p), p.final.report)} <span class=\"meta\">({escape(final_detail(p, info))})</span>"
        if p.final is not None else f"the workspace file {escape(p.slug)}/{escape(p.slug)}.py is missing"
    )  # fmt: skip
    deadline = _graded(at_deadline_phrase(p, info), p.at_deadline_grading.report if p.at_deadline_grading else None)
    hints = ", ".join(escape(hint_phrase(h, info)) for h in p.hints) or "none"
    parts = [
        '<dl class="facts">',
        f"<dt>{deadline_label}</dt><dd>{deadline}</dd>",
        f"<dt>Final</dt><dd>{final}</dd>",
        f"<dt>Time spent</dt><dd>{escape(spent_phrase(p, info))}</dd>",
        f"<dt>Hints</dt><dd>{hints}</dd>",
        "</dl>",
    ]
    if p.final is not None:
        parts += _final(p)
    parts.append(f"<h3>Attempts ({len(p.attempts)})</h3>")
    categories = shown_categories(p)
    for number, (attempt, diff) in enumerate(zip(p.attempts, p.diffs()), 1):
        per = category_scores(attempt.report)
        chips = "".join(f'<span class="chip {_tone(*per[c])}">{c} {per[c][0]}/{per[c][1]}</span>' for c in categories if c in per)
        late = '<span class="late">late</span>' if attempt.late else ""
        against = "the original stub" if number == 1 else f"attempt {number - 1}"
        added = sum(line.startswith("+") and not line.startswith("+++") for line in diff.splitlines())
        removed = sum(line.startswith("-") and not line.startswith("---") for line in diff.splitlines())
        folded = (
            f"<details><summary>Diff against {against} (+{added} −{removed})</summary>{code_block(diff, 'diff')}</details>"
            if diff else f'<p class="none">The same code as {against}.</p>'
        )  # fmt: skip
        parts.append(
            f'<div class="attempt" style="border-left: 4px solid {color(index)}"><header>'
            f"<b>Attempt {number} · {escape(duration(info.after_start(attempt.at)))}</b>{_graded(score(attempt.report), attempt.report)}{late}"
            f'{chips}<span class="file">{escape(attempt.report.file)}</span></header>'
            f"{folded}<details><summary>Code of attempt {number}</summary>{code_block(attempt.code, 'python')}</details></div>"
        )
    return "\n".join(parts)


def _final(p: ProblemResult) -> list[str]:
    parts = []
    failing, not_run = unfinished_rows(p.final.report)
    if failing or not_run:
        items = [
            f'<li><b>{escape(c.category)}</b> · {escape(c.name)}: <span class="msg">{escape(c.message)}</span></li>' for c in failing
        ] + [f"<li>{count} more checks did not run: {escape(reason)}</li>" for reason, count in not_run.items()]
        parts += ["<h3>Failing checks of the final code</h3>", f'<ul class="failing">{"".join(items)}</ul>']
    parts += [f"<h3>Final code <span class=\"meta\">sha256 {p.final.code_sha256[:12]}</span></h3>", code_block(p.final.code, "python", final=True)]
    changes = p.late_changes()
    if changes and p.final_late:
        summary = "<summary>Diff from the score at the deadline to the final code</summary>"
        parts += ["<h3>Changes after the deadline</h3>", f"<details open>{summary}{code_block(changes, 'diff')}</details>"]
    return parts


def code_block(text: str, language: str, final: bool = False) -> str:
    """Highlighted code, one block per source line (Pygments closes its spans at each line's end)."""
    lexer = PythonLexer(stripnl=False) if language == "python" else DiffLexer(stripnl=False)
    html = highlight(text, lexer, HtmlFormatter(nowrap=True)).rstrip("\n")
    lines = "".join(f'<span class="l">{line}</span>' for line in html.split("\n"))
    kind = "numbered" if language == "python" else "diff"
    marker = ' data-final="1"' if final else ""
    return f'<pre class="code hl {kind}"{marker}>{lines}</pre>'


def _tone(passed: int, total: int) -> str:
    return "good" if total and passed == total else "part" if passed else "bad"


def _graded(text: str, report) -> str:
    """A score phrase coloured by how much of it passed (no colour without a grading)."""
    if report is None:
        return escape(text)
    return f'<span class="{_tone(report.passed, report.total)}">{escape(text)}</span>'
