"""References, data, drivers and models of classic mistakes for torch_norm_comparison.

The candidate's ModelWithBatchNorm / ModelWithLayerNorm live in the worker. The reference is the same
architecture built here from PyTorch's own modules (`reference_model`), loaded with the same weights
through the state dict, whose names the spec fixes. `mlp_model` computes here, in float64 NumPy, what the
network returns with one classic mistake switched on (no normalization, the wrong axis, running statistics
in train mode, the norm after the ReLU ...), so that a failing row can name it.

The training experiment is TRAIN_DRIVER, run in the worker on the candidate's classes with data generated
here (a 3-class spiral); it only trains and collects numbers, and the grader judges them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

EPS = 1e-5
MOMENTUM = 0.1
CLASSES = {"batch": "ModelWithBatchNorm", "layer": "ModelWithLayerNorm"}
LABEL = {"batch": "BatchNorm model", "layer": "LayerNorm model"}


def expected_shapes(in_features: int, hidden: int, num_classes: int, kind: str) -> dict[str, tuple[int, ...]]:
    """The state dict the spec fixes: fc1, norm1, fc2, norm2, fc3, with nn.BatchNorm1d's buffers for 'batch'."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (n_in, n_out) in enumerate(((in_features, hidden), (hidden, hidden), (hidden, num_classes)), start=1):
        shapes[f"fc{i}.weight"], shapes[f"fc{i}.bias"] = (n_out, n_in), (n_out,)
        if i < 3:
            shapes[f"norm{i}.weight"], shapes[f"norm{i}.bias"] = (hidden,), (hidden,)
            if kind == "batch":
                shapes[f"norm{i}.running_mean"], shapes[f"norm{i}.running_var"] = (hidden,), (hidden,)
                shapes[f"norm{i}.num_batches_tracked"] = ()
    return shapes


def random_state(rng: np.random.Generator, in_features: int, hidden: int, num_classes: int, kind: str, dtype: str = "float32") -> dict[str, np.ndarray]:
    """Weights ~ N(0, 1/fan_in), biases ~ N(0, 0.5²) (so that the norms have something to remove), norm gains
    ~ N(1, 0.3²), running means ~ N(0, 0.5²), running variances ~ U(0.5, 2)."""
    state = {}
    for name, shape in expected_shapes(in_features, hidden, num_classes, kind).items():
        if name.endswith("num_batches_tracked"):
            state[name] = np.array(3, dtype=np.int64)
            continue
        if name.startswith("fc") and name.endswith("weight"):
            value = rng.standard_normal(shape) / np.sqrt(shape[1])
        elif name.endswith("running_var"):
            value = rng.uniform(0.5, 2.0, shape)
        elif name.startswith("norm") and name.endswith("weight"):
            value = rng.normal(1.0, 0.3, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        state[name] = value.astype(dtype)
    return state


def reference_model(kind: str, in_features: int, hidden: int, num_classes: int, state: dict[str, np.ndarray] | None = None, dtype: str = "float32") -> Any:
    """The spec's architecture from PyTorch's modules, here in the grader."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            norm = (lambda: nn.BatchNorm1d(hidden)) if kind == "batch" else (lambda: nn.LayerNorm(hidden))
            self.fc1, self.norm1 = nn.Linear(in_features, hidden), norm()
            self.fc2, self.norm2 = nn.Linear(hidden, hidden), norm()
            self.fc3 = nn.Linear(hidden, num_classes)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.norm1(self.fc1(x)))
            x = F.relu(self.norm2(self.fc2(x)))
            return self.fc3(x)

    model = Reference().to(torch.float64 if dtype == "float64" else torch.float32)
    if state is not None:
        model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


# ---------------------------------------------------------------------- models of classic mistakes
def mlp_model(
    state: dict[str, np.ndarray],
    x: np.ndarray,
    kind: str,
    *,
    training: bool = True,
    norm: bool = True,
    axis: int | None = None,
    stats: str | None = None,
    ddof: int = 0,
    after_relu: bool = False,
    softmax: bool = False,
) -> np.ndarray:
    """The network in float64 with one mistake switched on by a keyword.

    axis: the axis the batch statistics are taken over (0 = over the batch, BatchNorm's; 1 = over the
    features, LayerNorm's); stats: 'batch' or 'running' for a BatchNorm model (default by the mode).
    """
    h = np.asarray(x, dtype=np.float64)
    axis = (0 if kind == "batch" else 1) if axis is None else axis
    stats = stats or ("batch" if (kind != "batch" or training) else "running")

    def normalize(z: np.ndarray, i: int) -> np.ndarray:
        if not norm:
            return z
        if stats == "running" and kind == "batch":
            mean, var = state[f"norm{i}.running_mean"].astype(np.float64), state[f"norm{i}.running_var"].astype(np.float64)
        else:
            mean, var = z.mean(axis, keepdims=True), z.var(axis, ddof=ddof, keepdims=True)
        gamma, beta = state[f"norm{i}.weight"].astype(np.float64), state[f"norm{i}.bias"].astype(np.float64)
        return (z - mean) / np.sqrt(var + EPS) * gamma + beta

    for i in (1, 2):
        z = h @ state[f"fc{i}.weight"].astype(np.float64).T + state[f"fc{i}.bias"].astype(np.float64)
        h = normalize(np.maximum(z, 0.0), i) if after_relu else np.maximum(normalize(z, i), 0.0)
    logits = h @ state["fc3.weight"].astype(np.float64).T + state["fc3.bias"].astype(np.float64)
    if softmax:
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)
    return logits


def running_stats_model(state: dict[str, np.ndarray], x: np.ndarray, *, ddof: int = 1, momentum: float = MOMENTUM, flipped: bool = False) -> dict[str, np.ndarray]:
    """The running statistics after one train-mode forward of the BatchNorm model, with a mistake switched on."""
    h = np.asarray(x, dtype=np.float64)
    new = {}
    for i in (1, 2):
        z = h @ state[f"fc{i}.weight"].astype(np.float64).T + state[f"fc{i}.bias"].astype(np.float64)
        mean, var = z.mean(0), z.var(0)
        update_var = z.var(0, ddof=ddof)
        for stat, batch in (("running_mean", mean), ("running_var", update_var)):
            old = state[f"norm{i}.{stat}"].astype(np.float64)
            new[f"norm{i}.{stat}"] = (momentum * old + (1 - momentum) * batch) if flipped else ((1 - momentum) * old + momentum * batch)
        gamma, beta = state[f"norm{i}.weight"].astype(np.float64), state[f"norm{i}.bias"].astype(np.float64)
        h = np.maximum((z - mean) / np.sqrt(var + EPS) * gamma + beta, 0.0)
    return new


def output_diagnoses(state: dict[str, np.ndarray], x: np.ndarray, kind: str, training: bool) -> dict[str, Callable[[], np.ndarray]]:
    """Known mistakes → what each would have returned on these weights and this input (computed lazily)."""

    def model(**mistake: Any) -> Callable[[], np.ndarray]:
        return lambda: mlp_model(state, x, kind, training=training, **mistake)

    found = {"the norms are never applied (norm1/norm2 created but not called in forward)": model(norm=False)}
    if kind == "batch":
        if training:
            found["train mode normalizes with the running statistics: in train() BatchNorm uses the batch's own"] = model(stats="running")
        else:
            found["eval mode normalizes with the batch's statistics instead of the running ones (track_running_stats=False, or self.training ignored)"] = model(stats="batch")
        found["statistics over each sample's features (a LayerNorm), not over the batch"] = model(axis=1, stats="batch")
        found["the unbiased batch variance in the normalization (BatchNorm normalizes with the biased one)"] = model(ddof=1, stats="batch")
    else:
        found["statistics over the batch (a BatchNorm), not over each sample's features"] = model(axis=0)
        found["the unbiased variance (torch.var's default): LayerNorm uses the biased one"] = model(ddof=1)
    found["the norm after the ReLU (Linear → ReLU → norm) instead of between the linear layer and the ReLU"] = model(after_relu=True)
    found["a softmax on the output: return the logits, nn.CrossEntropyLoss applies log-softmax itself"] = model(softmax=True)
    return found


def running_diagnoses(state: dict[str, np.ndarray], x: np.ndarray, stat: str) -> dict[str, Callable[[], np.ndarray]]:
    def model(**mistake: Any) -> Callable[[], np.ndarray]:
        return lambda: running_stats_model(state, x, **mistake)[stat]

    return {
        "running_var updated with the biased batch variance: PyTorch's BatchNorm updates it with the unbiased one (n - 1)": model(ddof=0),
        "momentum applied the other way round (0.1 × running + 0.9 × batch): new = (1 - momentum) × running + momentum × batch": model(flipped=True),
        "the running statistics replaced by the batch's (momentum 1)": model(momentum=1.0),
        "the running statistics not updated in train mode": lambda: state[stat].astype(np.float64),
    }


# ---------------------------------------------------------------------- data and the training driver
def spiral(rng: np.random.Generator, per_class: int = 100, classes: int = 3, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: `classes` arms of `per_class` 2-D points, labels 0 … classes-1 (float32 points, int64 labels)."""
    points, labels = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, per_class) + rng.standard_normal(per_class) * noise
        points.append(np.c_[r * np.sin(t), r * np.cos(t)])
        labels.append(np.full(per_class, c))
    order = rng.permutation(per_class * classes)
    return np.concatenate(points)[order].astype(np.float32), np.concatenate(labels)[order].astype(np.int64)


# Mini-batch SGD with momentum written out (no torch.optim: its first use imports torch._dynamo, ~1.5 s),
# cross-entropy on the logits; after every epoch, the loss and accuracy on the whole set in eval mode.
# Then, on the trained models, the numbers the grader's behaviour checks need.
TRAIN_DRIVER = """
import copy
x, y = x.float(), y.long()
results = {}
for name, cls in (("batch", ModelWithBatchNorm), ("layer", ModelWithLayerNorm)):
    torch.manual_seed(train_seed)
    model = cls(x.shape[1], hidden, num_classes)
    params = [p for p in model.parameters() if p.requires_grad]
    velocity = [torch.zeros_like(p) for p in params]
    order = torch.Generator().manual_seed(train_seed)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    losses, accuracies = [F.cross_entropy(logits, y).item()], [(logits.argmax(1) == y).float().mean().item()]
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=order)
        for start in range(0, len(x) - batch_size + 1, batch_size):
            idx = perm[start:start + batch_size]
            model.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            with torch.no_grad():
                for p, v in zip(params, velocity):
                    if p.grad is not None:
                        v.mul_(0.9).add_(p.grad)
                        p.sub_(lr * v)
        model.eval()
        with torch.no_grad():
            logits = model(x)
        losses.append(F.cross_entropy(logits, y).item())
        accuracies.append((logits.argmax(1) == y).float().mean().item())
    batch = x[:64]
    with torch.no_grad():
        probe = copy.deepcopy(model).train()        # a copy: a train-mode forward would move the running statistics
        out_train = probe(batch)
        out_train_part = probe(batch[:16])
        model.eval()
        out_eval = model(batch)
        out_eval_part = model(batch[:16])
    results[name] = {"losses": losses, "accuracies": accuracies, "out_train": out_train, "out_eval": out_eval,
                     "out_train_part": out_train_part, "out_eval_part": out_eval_part,
                     "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
"""

TRAINING = {"hidden": 32, "epochs": 15, "batch_size": 30, "lr": 0.03}
