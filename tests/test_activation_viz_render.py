"""grader.kit.activation_viz_render: the terminal table and the optional matplotlib figure of torch_activation_viz."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from helpers import NEEDS_TORCH, grade, torch_marks, without_module

from grader.kit.activation_viz_render import MatplotlibMissing, render, save_figure


def _network(stds: list[float], bins: int, rng: np.random.Generator) -> list[dict]:
    layers = []
    for index, std in enumerate(stds, start=1):
        values = std * rng.standard_normal(512)
        hist, edges = np.histogram(values, bins=bins)
        layers.append({"layer": index, "mean": float(values.mean()), "std": float(values.std()),
                       "hist": [int(c) for c in hist], "edges": [float(e) for e in edges]})  # fmt: skip
    return layers


@pytest.fixture
def data() -> dict:
    rng = np.random.default_rng(0)
    return {
        "without_layernorm": _network([0.7 * 0.35**i for i in range(6)], 8, rng),
        "with_layernorm": _network([1.0] * 6, 8, rng),
    }


def test_render_draws_one_row_per_layer_and_the_std_curves(data: dict) -> None:
    out = io.StringIO()
    Console(file=out, width=140, color_system=None).print(render(data))
    text = out.getvalue()
    assert "histogram [min … max]" in text  # the header's brackets are text, not markup
    assert sum(line.lstrip("│ ").startswith(str(n)) for line in text.splitlines() for n in range(1, 7)) >= 6
    assert "std by layer" in text and "(log scale)" in text
    assert any(ch in text for ch in "▁▂▃▄▅▆▇█")


def test_render_rejects_what_is_not_a_result() -> None:
    with pytest.raises(ValueError):
        render({"with_layernorm": []})
    with pytest.raises(ValueError):
        render({"with_layernorm": [{"layer": 1, "mean": 0.0, "std": 1.0, "hist": [1], "edges": [0.0, 1.0]}]})


def test_save_figure_refuses_other_formats(data: dict, tmp_path) -> None:
    with pytest.raises(ValueError, match="png"):
        save_figure(data, tmp_path / "activations.jpg")


def test_save_figure_without_matplotlib_says_how_to_get_it(data: dict, tmp_path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(MatplotlibMissing, match="pip install matplotlib"):
        save_figure(data, tmp_path / "activations.png")
    assert not (tmp_path / "activations.png").exists()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_save_figure_writes_the_file(data: dict, tmp_path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    path = save_figure(data, tmp_path / f"activations{suffix}")
    content = path.read_bytes()
    assert content.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in content


# ---------------------------------------------------------------------- on the scorecard and with --plot
def _printed(renderable, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue()


@pytest.mark.corpus("reference")
@pytest.mark.parametrize("slug", torch_marks(["torch_activation_viz"]))
def test_the_scorecard_draws_the_spec_experiment(slug: str, corpus) -> None:
    """The reference's report carries the default experiment's histograms; the scorecard fits them to the terminal."""
    from grader.model import GradeReport
    from grader.render import scorecard

    data = corpus.reference(slug).report
    assert data["picture"]["view"] == "grader.kit.activation_viz_render"
    assert [len(data["picture"]["data"][net]) for net in ("without_layernorm", "with_layernorm")] == [8, 8]
    report = GradeReport.from_json(data)
    wide, narrow = _printed(scorecard(report), 160), _printed(scorecard(report), 80)
    assert "histogram [min … max]" in wide and "Activations by layer" in narrow
    assert "histogram [min … max]" not in narrow and "std by layer" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "…" not in "".join(line for line in narrow.splitlines() if "▁" in line)  # no cell cut short


@pytest.mark.corpus("stub")
@pytest.mark.parametrize("slug", torch_marks(["torch_activation_viz"]))
def test_no_result_no_picture(slug: str, corpus) -> None:
    assert corpus.stub(slug).report["picture"] is None


@NEEDS_TORCH  # without torch, the track's own one-line refusal comes first (tests/test_batch_and_tracks.py)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["torch_layernorm", "--plot", "x.png"], "torch_layernorm draws no picture; torch_activation_viz does"),
        (["torch_activation_viz", "--plot", "x.jpg"], "writes .png, .svg, .pdf files"),
    ],
)
def test_plot_requests_that_cannot_be_honoured_are_refused_before_grading(args, message, tmp_path) -> None:
    run = grade(*args, cwd=tmp_path)
    assert run.code == 2 and message in run.stderr and run.stdout == ""
    assert not list(tmp_path.iterdir())


@NEEDS_TORCH
def test_plot_without_matplotlib_says_how_to_get_it(tmp_path) -> None:
    run = grade("torch_activation_viz", "--reference", "--plot", str(tmp_path / "acts.png"), env=without_module(tmp_path, "matplotlib"))
    assert run.code == 2 and "--plot needs matplotlib" in run.stderr and "pip install matplotlib" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "acts.png").exists()


@NEEDS_TORCH
def test_plot_writes_the_figure_and_keeps_the_exit_status(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    written = grade("torch_activation_viz", "--reference", "--seed", "2", "--plot", str(tmp_path / "acts.svg"))
    assert written.code == 0 and b"<svg" in (tmp_path / "acts.svg").read_bytes()
    assert f"picture saved to {tmp_path / 'acts.svg'}" in written.stderr
    stub = grade("torch_activation_viz", "--seed", "2", "--plot", str(tmp_path / "stub.svg"), "--json")
    assert stub.code == 1 and stub.report["passed"] == 0 and "not written" in stub.stderr
    assert not (tmp_path / "stub.svg").exists()
