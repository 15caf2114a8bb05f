"""The report's timeline chart: each problem's share of passing checks against time, as inline SVG.

Plain SVG text (no plotting library, no script): it scales with the page, prints, and opens offline.
Late attempts are hollow points; hints are marks under the axis; the time limit is a dashed line.
"""

from __future__ import annotations

from html import escape

from grader.session_report import SessionReport
from grader.sessions import duration

PALETTE = ("#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#0b7285", "#e67700", "#c2255c", "#495057")
WIDTH, HEIGHT = 860, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 24, 46
TICK_STEPS_S = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def timeline_svg(report: SessionReport) -> str:
    """The chart, or "" when nothing was recorded to draw."""
    info = report.info
    events = [info.after_start(event.at) for p in report.problems for event in (*p.attempts, *p.hints)]
    if not events:
        return ""
    limit_s = 60 * info.minutes if info.begun_at is not None else None
    span = max([*events, limit_s or 0, 60.0]) * 1.04
    start = min(0.0, min(events))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(seconds: float) -> float:
        return round(LEFT + (seconds - start) / (span - start) * plot_w, 1)

    def y(share: float) -> float:
        return round(TOP + (1 - share) * plot_h, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="Share of checks passed in each attempt, against time since the start">'
    ]
    for share in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(share)}" y2="{y(share)}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(share) + 4}" text-anchor="end" class="tick">{int(share * 100)} %</text>')
    step = next((s for s in TICK_STEPS_S if span / s <= 8), TICK_STEPS_S[-1])
    tick = 0.0
    while tick <= span:
        parts.append(f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" class="axis"/>')
        parts.append(f'<text x="{x(tick)}" y="{TOP + plot_h + 17}" text-anchor="middle" class="tick">{duration(tick)}</text>')
        tick += step
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" class="axis"/>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" class="label">time since the start</text>')
    if limit_s is not None:
        parts.append(f'<line x1="{x(limit_s)}" x2="{x(limit_s)}" y1="{TOP}" y2="{TOP + plot_h}" class="limit"/>')
        parts.append(f'<text x="{x(limit_s)}" y="{TOP - 9}" text-anchor="middle" class="limit-label">time limit</text>')
    for index, p in enumerate(report.problems):
        if not p.attempts:
            continue
        points = [(x(info.after_start(a.at)), y(a.passed / a.total if a.total else 0.0), a) for a in p.attempts]
        if len(points) > 1:
            path = " ".join(f"{px},{py}" for px, py, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color(index)}" stroke-width="2"/>')
        for number, (px, py, a) in enumerate(points, 1):
            fill = "#fff" if a.late else color(index)
            label = f"{p.slug}, attempt {number} at {duration(info.after_start(a.at))}: {a.passed}/{a.total}" + (" (late)" if a.late else "")
            parts.append(
                f'<circle cx="{px}" cy="{py}" r="4.5" fill="{fill}" stroke="{color(index)}" stroke-width="2"><title>{escape(label)}</title></circle>'
            )
        for h in p.hints:
            hx, hy = x(info.after_start(h.at)), TOP + plot_h + 26
            label = f"{p.slug}: hint {h.level} at {duration(info.after_start(h.at))}"
            parts.append(f'<path d="M{hx},{hy - 7} l5,8 h-10 z" fill="{color(index)}"><title>{escape(label)}</title></path>')
    parts.append("</svg>")
    return "\n".join(parts)
