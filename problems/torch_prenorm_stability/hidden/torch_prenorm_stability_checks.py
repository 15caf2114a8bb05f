"""References, drivers and models of classic mistakes for torch_prenorm_stability.

The candidate's PreLayerNormTransformer / PostLayerNormTransformer live in the worker. The reference runs
here in the grader: `torch.nn.TransformerEncoder` over `nn.TransformerEncoderLayer(..., dropout=0.0,
batch_first=True, norm_first=...)` layers (with a final `nn.LayerNorm` for pre-LN), loaded with the same
random weights — the spec makes that state dict the stacks' own. `stack_diagnoses` computes, here, what a
stack built with each classic mistake would have returned on the same weights and input.

compare_stability is judged on its own numbers (the patterns of the spec's claims) and against a replay:
RECIPE_DRIVER runs the spec's recipe in the worker on the candidate's classes (our code, their modules)
and returns the per-layer gradient norms and the loss curve it measured, which the candidate's reported
numbers must reproduce. Every judgement is made here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kit.encoder_layer import STATE_SHAPES  # one layer's entries, the same layer
from grader.outcomes import CandidateRaised, CheckFailed, CheckOutcome

CLASSES = {"pre": "PreLayerNormTransformer", "post": "PostLayerNormTransformer"}
FUSED_OPS = {"_transformer_encoder_layer_fwd": "torch._transformer_encoder_layer_fwd, nn.TransformerEncoderLayer's fused kernel"}


def expected_shapes(d: int, f: int, num_layers: int, pre: bool) -> dict[str, tuple[int, ...]]:
    """nn.TransformerEncoder's state dict for the stack: layers.{i}.* for each layer, norm.* for pre-LN."""
    shapes = {f"layers.{i}.{name}": shape(d, f) for i in range(num_layers) for name, shape in STATE_SHAPES}
    if pre:
        shapes.update({"norm.weight": (d,), "norm.bias": (d,)})
    return shapes


def random_state(rng: np.random.Generator, d: int, f: int, num_layers: int, pre: bool, dtype: str = "float32") -> dict[str, np.ndarray]:
    """Every layer its own weights ~ N(0, 1/fan_in), biases ~ N(0, 0.3²), LayerNorm gains ~ N(1, 0.3²)."""
    state = {}
    for name, size in expected_shapes(d, f, num_layers, pre).items():
        if name.split(".")[-2].startswith("norm") and name.endswith("weight"):
            value = rng.normal(1.0, 0.3, size)
        elif name.endswith("weight"):
            value = rng.standard_normal(size) / math.sqrt(size[1])
        else:
            value = rng.normal(0.0, 0.3, size)
        state[name] = value.astype(dtype)
    return state


def _torch_dtype(dtype: str) -> Any:
    import torch

    return torch.float64 if dtype == "float64" else torch.float32


def reference_stack(d: int, nhead: int, f: int, num_layers: int, pre: bool, state: dict[str, np.ndarray], *, dtype: str = "float32") -> Any:
    """PyTorch's own stack (train mode, no dropout) with `state` loaded strictly."""
    import torch

    layer = torch.nn.TransformerEncoderLayer(d, nhead, f, dropout=0.0, batch_first=True, norm_first=pre)
    final = torch.nn.LayerNorm(d) if pre else None
    stack = torch.nn.TransformerEncoder(layer, num_layers, norm=final, enable_nested_tensor=False).to(_torch_dtype(dtype))
    stack.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return stack


# ---------------------------------------------------------------------- models of classic mistakes
def _layer_step(kind: str, layer: Any, x: Any, across_batch: bool = False) -> Any:
    import torch.nn.functional as F

    def sa(u: Any) -> Any:
        if across_batch:  # nn.MultiheadAttention without batch_first: (batch, seq) read as (seq, batch)
            v = u.transpose(0, 1)
            return layer.self_attn(v, v, v, need_weights=False)[0].transpose(0, 1)
        return layer.self_attn(u, u, u, need_weights=False)[0]

    def ff(u: Any) -> Any:
        return layer.linear2(F.relu(layer.linear1(u)))

    n1, n2 = layer.norm1, layer.norm2
    if kind == "pre":
        x = x + sa(n1(x))
        return x + ff(n2(x))
    if kind == "post":
        x = n1(x + sa(x))
        return n2(x + ff(x))
    if kind == "pre_swapped_norms":
        x = x + sa(n2(x))
        return x + ff(n1(x))
    if kind == "post_swapped_norms":
        x = n2(x + sa(x))
        return n1(x + ff(x))
    if kind == "none":
        x = x + sa(x)
        return x + ff(x)
    if kind == "stream":  # the stream itself normalized before each sublayer: x = LN(x); x = x + SA(x)
        x = n1(x)
        x = x + sa(x)
        x = n2(x)
        return x + ff(x)
    if kind == "sublayer_out":  # LN on the sublayer's output, inside the residual: x + LN(SA(x))
        x = x + n1(sa(x))
        return x + n2(ff(x))
    if kind == "pre_no_residual":
        x = sa(n1(x))
        return ff(n2(x))
    if kind == "post_no_residual":
        x = n1(sa(x))
        return n2(ff(x))
    raise ValueError(kind)


def float64_layers(d: int, nhead: int, f: int, num_layers: int, state: dict[str, np.ndarray]) -> list:
    """The stack's layers in float64 with `state`'s weights: the parts every model of a mistake reads."""
    import torch

    layers = []
    for i in range(num_layers):
        layer = torch.nn.TransformerEncoderLayer(d, nhead, f, dropout=0.0, batch_first=True).double()
        prefix = f"layers.{i}."
        layer.load_state_dict({k[len(prefix) :]: torch.from_numpy(np.array(v, dtype=np.float64)) for k, v in state.items() if k.startswith(prefix)})
        layers.append(layer)
    return layers


def stack_model(
    layers: list, d: int, state: dict[str, np.ndarray], x: np.ndarray, kind: str, final_norm: bool, *, across_batch: bool = False
) -> np.ndarray:
    """What a stack of `kind` layers (and the final norm, if asked) returns on x, in float64, here."""
    import torch

    with torch.no_grad():
        h = torch.from_numpy(np.array(x, dtype=np.float64))
        for layer in layers:
            h = _layer_step(kind, layer, h, across_batch)
        if final_norm:
            norm = torch.nn.LayerNorm(d).double()
            if "norm.weight" in state:
                norm.load_state_dict({"weight": torch.from_numpy(np.array(state["norm.weight"], dtype=np.float64)),
                                      "bias": torch.from_numpy(np.array(state["norm.bias"], dtype=np.float64))})  # fmt: skip
            h = norm(h)
    return h.numpy()


def stack_diagnoses(d: int, nhead: int, f: int, num_layers: int, state: dict[str, np.ndarray], x: np.ndarray, pre: bool) -> dict[str, Callable[[], np.ndarray]]:
    """Known mistakes → what each would have returned on these weights and this input (computed lazily)."""

    layers = functools.cache(lambda: float64_layers(d, nhead, f, num_layers, state))  # built by the first model run, shared

    def model(kind: str, final: bool, across_batch: bool = False) -> Callable[[], np.ndarray]:
        return lambda: stack_model(layers(), d, state, x, kind, final, across_batch=across_batch)

    if pre:
        return {
            "post-LN layers (x = LN(x + SA(x))): the pre-LN and post-LN orderings are swapped": model("post", True),
            "post-LN layers and no final LayerNorm: the two classes are swapped": model("post", False),
            "the final LayerNorm (self.norm) is never applied": model("pre", False),
            "no LayerNorm applied inside the layers (norm1/norm2 are created but never called)": model("none", True),
            "no LayerNorm applied at all": model("none", False),
            "LayerNorm applied to the residual stream itself (x = LN(x); x = x + SA(x)): pre-LN normalizes only the copy the sublayer reads": model("stream", True),
            "LayerNorm on the sublayer's output (x = x + LN(SA(x))) instead of its input": model("sublayer_out", True),
            "the residual connection is missing (x = SA(LN(x)) instead of x + SA(LN(x)))": model("pre_no_residual", True),
            "norm1 and norm2 swapped (norm1 goes with the attention, norm2 with the feed-forward)": model("pre_swapped_norms", True),
            "attention across the batch instead of the sequence (nn.MultiheadAttention needs batch_first=True)": model("pre", True, True),
        }
    return {
        "pre-LN layers (x = x + SA(LN(x))): the pre-LN and post-LN orderings are swapped": model("pre", False),
        "pre-LN layers with a final LayerNorm: the two classes are swapped": model("pre", True),
        "no LayerNorm applied (norm1/norm2 are created but never called)": model("none", False),
        "LayerNorm on the sublayer's output (x = x + LN(SA(x))) instead of after the residual add": model("sublayer_out", False),
        "the residual connection is missing (x = LN(SA(x)) instead of LN(x + SA(x)))": model("post_no_residual", False),
        "norm1 and norm2 swapped (norm1 goes with the attention, norm2 with the feed-forward)": model("post_swapped_norms", False),
        "attention across the batch instead of the sequence (nn.MultiheadAttention needs batch_first=True)": model("post", False, True),
    }


# ---------------------------------------------------------------------- drivers run in the worker
PARTS_DRIVER = """
kinds = []
for name, sub in model.named_modules():
    kinds.append((name, [c.__name__ for c in type(sub).__mro__]))
has_layers = isinstance(getattr(model, "layers", None), nn.ModuleList)
num_layers = len(model.layers) if has_layers else -1
"""

# The spec's recipe, on the candidate's classes; only numbers come back.
RECIPE_DRIVER = """
import math
torch.manual_seed(train_seed)
x = torch.randn(16, 8, d_model)
target = torch.randn(16, 8, d_model)
results = {}
for name, stack in (("pre", PreLayerNormTransformer), ("post", PostLayerNormTransformer)):
    torch.manual_seed(train_seed + 1)
    model = stack(d_model, nhead, num_layers, dim_feedforward)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    grad_norms, losses = [], []
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        if step == 0:
            grad_norms = [math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in layer.parameters() if p.grad is not None))
                          for layer in model.layers]
        losses.append(float(loss.item()))
        optimizer.step()
    results[name] = {"grad_norms": grad_norms, "losses": losses}
"""

DEFAULTS = {"d_model": 32, "nhead": 4, "dim_feedforward": 64}


@dataclass(frozen=True)
class Setting:
    """One call of compare_stability: its arguments (the rest are the spec's defaults)."""

    num_layers: int
    steps: int
    lr: float
    seed: int

    def kwargs(self) -> dict[str, Any]:
        return {"num_layers": self.num_layers, "steps": self.steps, "lr": self.lr, "seed": self.seed}

    def __str__(self) -> str:
        return f"compare_stability(num_layers={self.num_layers}, steps={self.steps}, lr={self.lr:g}, seed={self.seed})"


@dataclass
class Curves:
    grad_norms: np.ndarray
    losses: np.ndarray


def _series(value: Any, what: str, length: int) -> np.ndarray:
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise CheckFailed(f"{what} should be a list of {length} floats; it is {type(value).__name__}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be a list of {length} floats; it holds {type(value).__name__} values that are not numbers") from None
    if array.ndim != 1 or array.shape[0] != length:
        raise CheckFailed(f"{what} should hold {length} numbers (one per {'layer' if 'grad' in what else 'step'}); it has shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"{what} contains NaN or inf: {np.round(array, 4).tolist()}")
    return array


def parse_result(value: Any, setting: Setting) -> dict[str, Curves]:
    """The documented structure, as arrays: {'pre'|'post': {'grad_norms': (num_layers,), 'losses': (steps,)}}."""
    if not isinstance(value, dict):
        raise CheckFailed(f"{setting} should return a dict with keys 'pre' and 'post'; it returned {type(value).__name__}")
    if set(value) != {"pre", "post"}:
        raise CheckFailed(f"{setting} returned a dict with keys {sorted(map(str, value))}; expected exactly ['post', 'pre']")
    curves = {}
    for name in ("pre", "post"):
        inner = value[name]
        if not isinstance(inner, dict) or set(inner) != {"grad_norms", "losses"}:
            got = sorted(map(str, inner)) if isinstance(inner, dict) else type(inner).__name__
            raise CheckFailed(f"result[{name!r}] should be a dict with keys ['grad_norms', 'losses']; got {got}")
        curves[name] = Curves(
            _series(inner["grad_norms"], f"result[{name!r}]['grad_norms']", setting.num_layers),
            _series(inner["losses"], f"result[{name!r}]['losses']", setting.steps),
        )
    return curves


class StabilityRuns:
    """compare_stability's results (and the recipe's replay), computed once per grading run and shared by rows.

    A failure is remembered too, so every row that needs the same call reports it without calling again.
    """

    def __init__(self) -> None:
        self._calls: dict[tuple, Any] = {}

    def _memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._calls:
            try:
                self._calls[key] = compute()
            except CheckOutcome as outcome:
                self._calls[key] = outcome
        found = self._calls[key]
        if isinstance(found, CheckOutcome):
            raise type(found)(found.message)
        return found

    def candidate(self, candidate: Any, setting: Setting) -> dict[str, Curves]:
        return self._memo(("candidate", id(candidate), setting), lambda: parse_result(candidate.compare_stability(**setting.kwargs()), setting))

    def replay(self, worker: Any, setting: Setting) -> dict[str, Curves]:
        """The spec's recipe run by the grader's own driver on the candidate's classes."""
        from grader.kit.torch_kit import run_script

        def compute() -> dict[str, Curves]:
            try:
                out = run_script(
                    worker, RECIPE_DRIVER, outputs=["results"], names=tuple(CLASSES.values()), label="the spec's recipe on your classes",
                    num_layers=setting.num_layers, steps=setting.steps, lr=setting.lr, train_seed=setting.seed, **DEFAULTS,
                )  # fmt: skip
            except CandidateRaised as exc:
                if getattr(exc, "not_implemented", False):
                    raise
                raise CheckFailed(f"running the spec's recipe on your classes failed: {exc.message}") from None
            return parse_result(out["results"], setting)

        return self._memo(("replay", id(worker), setting), compute)

