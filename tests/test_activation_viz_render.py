"""grader.kit.activation_viz_render: the terminal table and the optional matplotlib figure of torch_activation_viz."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

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
