"""Pictures of torch_activation_viz's result: a rich table for the terminal, a matplotlib figure for a file.

`data` is what `activation_histograms` returns (a dict of two lists of per-layer dicts, plain data), as the
grader receives it from the worker, or as a user gets it in a notebook. Both functions are pure with
respect to the program's state: `render` builds a renderable and prints nothing; `save_figure` writes one
file and leaves matplotlib's global state (pyplot, the backend) alone.

    from rich.console import Console
    Console().print(render(data))
    save_figure(data, "activations.svg")      # needs matplotlib: pip install matplotlib
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from grader.kit.activation_viz_checks import NET_NAMES, NETS, Network, parse_result
from grader.kit.sparkline import describe_series, fmt, shared_scale, sparkline
from grader.outcomes import CheckFailed

FIGURE_FORMATS = (".png", ".svg", ".pdf")


class MatplotlibMissing(RuntimeError):
    """save_figure was asked for a file, and matplotlib is not installed."""


def parse(data: Any) -> dict[str, Network]:
    """The result as arrays, or ValueError saying what is malformed (the checks' own parser)."""
    try:
        first = data["with_layernorm"]
        depth, bins = len(first), len(first[0]["hist"])
        return parse_result(data, depth, bins, "the data")
    except CheckFailed as exc:
        raise ValueError(exc.message) from None
    except (TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"not an activation_histograms result: {type(exc).__name__}: {exc}") from None


def render(data: Any, *, title: str | None = None) -> ActivationTable:
    """The result drawn for the terminal; ValueError now if `data` is not a result, not when it is printed."""
    return ActivationTable(parse(data), title or "Activations by layer: z, the ReLU's input")


class ActivationTable:
    """One row per layer: each network's mean and std, and its histogram as a sparkline over its own range.

    The caption draws the std by layer of both networks on one scale (log when it spans orders of
    magnitude), so a flat LayerNorm curve reads as flat next to a vanishing plain one. In a terminal too
    narrow for all that (80 columns), each network keeps its std and histogram and the means and ranges
    go: a squeezed table that wraps numbers mid-way reads worse than a shorter one.
    """

    def __init__(self, parsed: dict[str, Network], title: str) -> None:
        self.parsed, self.title = parsed, title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        full = self._table(compact=False)
        fits = Measurement.get(console, options.update_width(10_000), full).maximum <= options.max_width  # unclamped
        yield full if fits else self._table(compact=True)

    def _table(self, compact: bool) -> Table:
        parsed = self.parsed
        table = Table(title=self.title, title_justify="left", show_lines=False)
        table.add_column("layer", justify="right", no_wrap=True)
        for net in NETS:
            name = NET_NAMES[net]
            table.add_column(Text("std" if compact else f"{name}\nmean / std"), justify="right", no_wrap=True)
            table.add_column(Text(name if compact else f"{name}\nhistogram [min … max]"), no_wrap=True)
        for i in range(len(parsed[NETS[0]].layer)):
            cells: list[Any] = [Text(str(int(parsed[NETS[0]].layer[i])))]
            for net in NETS:
                layer = parsed[net]
                bars = sparkline(layer.hist[i], log=False, scale=(0.0, float(max(layer.hist[i].max(), 1.0))))
                if compact:
                    cells += [Text(fmt(layer.std[i])), Text(bars)]
                else:
                    cells.append(Text(f"{fmt(layer.mean[i])} / {fmt(layer.std[i])}"))
                    cells.append(Text(f"{bars} [{fmt(layer.edges[i][0])} … {fmt(layer.edges[i][-1])}]"))
            table.add_row(*cells)
        stds = [parsed[net].std for net in NETS]
        log = bool(np.all(np.concatenate(stds) > 0) and max(s.max() for s in stds) / min(s.min() for s in stds) > 100)
        scale = shared_scale(*stds)
        table.caption = Text(
            "std by layer: " + "; ".join(describe_series(NET_NAMES[net], parsed[net].std, log=log, scale=scale) for net in NETS),
            justify="left",
        )
        return table


def save_figure(data: Any, path: str | Path, *, dpi: int = 120) -> Path:
    """Write the std-by-layer curves and each network's per-layer histograms to a PNG, SVG or PDF file.

    Raises MatplotlibMissing when matplotlib is not installed, ValueError for another file type or a
    malformed result. Returns the path written.
    """
    path = Path(path)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise ValueError(f"save_figure writes {', '.join(FIGURE_FORMATS)} files; got {path.name!r}")
    parsed = parse(data)
    try:
        from matplotlib.figure import Figure  # no pyplot: no backend to pick, no global figure state
    except ImportError:
        raise MatplotlibMissing(
            "saving the activations as a figure needs matplotlib, which is not installed: pip install matplotlib "
            "(the terminal rendering needs nothing more)"
        ) from None

    depth = len(parsed[NETS[0]].layer)
    figure = Figure(figsize=(11, 3.2 + 0.45 * depth), layout="constrained")
    grid = figure.add_gridspec(2, 2, height_ratios=[1, max(1.5, 0.35 * depth)])
    curves = figure.add_subplot(grid[0, :])
    for net, style in zip(NETS, ("o-", "s-")):
        curves.plot(parsed[net].layer, parsed[net].std, style, label=NET_NAMES[net])
    stds = np.concatenate([parsed[net].std for net in NETS])
    if np.all(stds > 0) and stds.max() / stds.min() > 100:
        curves.set_yscale("log")
    curves.set(xlabel="layer", ylabel="std of z", title="Standard deviation of each layer's pre-activations")
    curves.legend()
    for column, net in enumerate(NETS):
        _ridges(figure.add_subplot(grid[1, column]), parsed[net], NET_NAMES[net])
    figure.savefig(path, dpi=dpi)
    return path


def _ridges(axes: Any, layer: Network, name: str) -> None:
    """Each layer's histogram scaled to height 0.9 and stacked, layer 1 at the top, on the layer's own values."""
    depth = len(layer.layer)
    for i in range(depth):
        counts, edges = layer.hist[i], layer.edges[i]
        base = depth - 1 - i
        heights = base + 0.9 * counts / max(float(counts.max()), 1.0)
        axes.stairs(heights, edges, baseline=base, fill=True, alpha=0.6)
    axes.set_yticks(np.arange(depth) + 0.4, [f"layer {int(n)}" for n in layer.layer[::-1]])
    axes.set(xlabel="z", title=f"Histograms {name}")  # one linear z axis: a vanishing layer shows as a spike


__all__ = ["FIGURE_FORMATS", "ActivationTable", "MatplotlibMissing", "parse", "render", "save_figure"]
