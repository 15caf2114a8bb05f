"""torch_conditional_layernorm: the formula, a trusted module, cases and mistake models.

ConditionalLayerNorm(normalized_shape, condition_size, eps) normalizes x over its last len(normalized_shape)
dims like LayerNorm, then scales and shifts each sample with its own gamma and beta, predicted from that
sample's condition by two nn.Linear layers named `gamma_proj` and `beta_proj`:

    x_hat = (x - mean) / sqrt(var + eps)                       biased variance, per sample and position
    gamma = gamma_proj(condition)  = condition @ W_g.T + b_g    (batch, D), D = prod(normalized_shape)
    beta  = beta_proj(condition)   = condition @ W_b.T + b_b
    y     = x_hat * gamma[b] + beta[b]                          broadcast over x's middle dims

The grader holds two references the candidate's code never touches: the formula in NumPy float64
(`cln_forward`, with the models of known mistakes), and `GraderConditionalLayerNorm`, a torch module built
here from the candidate's state dict, whose autograd gives every gradient (x, condition, the four
parameters) for `torch_kit.reference_run`. It is the NumPy problem conditional_layernorm with W stored as
nn.Linear stores it, (D, K): W_gamma there is gamma_proj.weight.T here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from grader.kit.compare import assert_close
from grader.kit.torch_norm_mistakes import layernorm_diagnoses
from grader.kit.ln_module import SPEC_EPS, as_shape
from grader.kit.torch_kit import ModuleCase
from grader.outcomes import CheckFailed

PARAMS = ("gamma_proj.weight", "gamma_proj.bias", "beta_proj.weight", "beta_proj.bias")

Models = dict[str, Callable[[], np.ndarray]]


def param_shapes(normalized: tuple, k: int) -> dict[str, tuple]:
    d = math.prod(normalized)
    return {"gamma_proj.weight": (d, k), "gamma_proj.bias": (d,), "beta_proj.weight": (d, k), "beta_proj.bias": (d,)}


def identity_state(normalized: tuple, k: int) -> dict[str, np.ndarray]:
    """The spec's initialization: gamma_proj predicts 1 and beta_proj 0 whatever the condition."""
    d = math.prod(normalized)
    return {
        "gamma_proj.weight": np.zeros((d, k), np.float32),
        "gamma_proj.bias": np.ones(d, np.float32),
        "beta_proj.weight": np.zeros((d, k), np.float32),
        "beta_proj.bias": np.zeros(d, np.float32),
    }


def random_state(rng: np.random.Generator, normalized: tuple, k: int) -> dict[str, np.ndarray]:
    """Weights far enough from the initialization that the condition matters."""
    d = math.prod(normalized)
    return {
        "gamma_proj.weight": rng.normal(0.0, 0.5, (d, k)).astype(np.float32),
        "gamma_proj.bias": rng.normal(1.0, 0.3, d).astype(np.float32),
        "beta_proj.weight": rng.normal(0.0, 0.5, (d, k)).astype(np.float32),
        "beta_proj.bias": rng.normal(0.0, 0.5, d).astype(np.float32),
    }


# ====================================================================== the formula (NumPy, float64)


def _per_sample(z: np.ndarray, x_ndim: int, normalized: tuple) -> np.ndarray:
    """(batch, D) -> (batch, 1, ..., 1, *normalized): one value per sample, broadcast over the middle dims."""
    middle = x_ndim - 1 - len(normalized)
    return z.reshape((z.shape[0],) + (1,) * middle + tuple(normalized))


def modulation(state: dict, c: Any, x_ndim: int, normalized: tuple) -> tuple[np.ndarray, np.ndarray]:
    """gamma and beta of each sample, shaped to broadcast against x."""
    c = np.asarray(c, dtype=np.float64)
    w = {k: np.asarray(v, dtype=np.float64) for k, v in state.items()}
    gamma = c @ w["gamma_proj.weight"].T + w["gamma_proj.bias"]
    beta = c @ w["beta_proj.weight"].T + w["beta_proj.bias"]
    return _per_sample(gamma, x_ndim, normalized), _per_sample(beta, x_ndim, normalized)


def layer_normalize(x: Any, axes: tuple, eps: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)


def cln_forward(x: Any, c: Any, state: dict, normalized: tuple, eps: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    gamma, beta = modulation(state, c, x.ndim, normalized)
    return layer_normalize(x, tuple(range(x.ndim - len(normalized), x.ndim)), eps) * gamma + beta


def cln_forward_diagnoses(x: Any, c: Any, state: dict, normalized: tuple, eps: float) -> Models:
    """LayerNorm's mistakes with the per-sample gamma and beta, and the conditioning's own."""
    computed_in = np.asarray(x)  # the rounding mistakes (a one-pass variance) are modelled in the module's dtype
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    k = len(normalized)
    axes = tuple(range(x.ndim - k, x.ndim))
    gamma, beta = modulation(state, c, x.ndim, normalized)
    w = {name: np.asarray(v, dtype=np.float64) for name, v in state.items()}
    x_hat = layer_normalize(x, axes, eps)

    def per_sample(z: np.ndarray) -> np.ndarray:
        return _per_sample(z, x.ndim, normalized)

    renamed = {
        "weight and bias were swapped": "gamma and beta were swapped (scale from beta_proj, shift from gamma_proj)",
        "weight was not applied": "gamma (gamma_proj's output) was not applied",
        "bias was not added": "beta (beta_proj's output) was not added",
    }
    models: Models = {renamed.get(label, label): model for label, model in layernorm_diagnoses(computed_in, normalized, eps, gamma, beta).items()}
    models.update({
        "gamma got an extra 1 (1 + gamma_proj(condition), the adaLN-Zero form); here gamma = gamma_proj(condition), "
        "whose bias starts at 1": lambda: x_hat * (1.0 + gamma) + beta,
        "the condition was ignored: only the projections' biases were used, as a plain LayerNorm's weight and bias": (
            lambda: x_hat * per_sample(w["gamma_proj.bias"][None]) + per_sample(w["beta_proj.bias"][None])
        ),
        "the first sample's condition was used for every sample": lambda: x_hat * gamma[:1] + beta[:1],
        "the conditions were averaged over the batch: each sample must get the gamma and beta of its own condition": (
            lambda: x_hat * gamma.mean(axis=0, keepdims=True) + beta.mean(axis=0, keepdims=True)
        ),
    })
    d = math.prod(normalized)
    if w["gamma_proj.weight"].shape == (d, d) and c.shape[1] == d:
        untransposed = {name: c @ w[f"{name}_proj.weight"] + w[f"{name}_proj.bias"] for name in ("gamma", "beta")}
        models["the projection weights were used untransposed (condition @ W instead of condition @ W.T, which is what "
               "nn.Linear computes)"] = lambda: x_hat * per_sample(untransposed["gamma"]) + per_sample(untransposed["beta"])
    if x.ndim > k + 1:
        models["the statistics were taken over every dim but the batch (one mean per sample); LayerNorm takes one per "
               "position, over the normalized dims only"] = lambda: layer_normalize(x, tuple(range(1, x.ndim)), eps) * gamma + beta
        if x.ndim == k + 2 and x.shape[1] == x.shape[0]:
            flat_g, flat_b = gamma.reshape(gamma.shape[0], *normalized), beta.reshape(beta.shape[0], *normalized)
            models["gamma and beta, (batch, D), were broadcast against (batch, time, D) without an unsqueeze: sample t's "
                   "modulation went to time step t of every sample. Reshape them to (batch, 1, D)"] = (
                lambda: x_hat * flat_g[None] + flat_b[None]
            )
    return models


# ====================================================================== the trusted torch module


class GraderConditionalLayerNorm(nn.Module):
    """The spec's layer, built in the grader from a state dict: gradients for every input and parameter."""

    def __init__(
        self, normalized: tuple, k: int, eps: float, state: dict[str, np.ndarray], dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        d = math.prod(normalized)
        self.normalized, self.eps = tuple(normalized), eps
        self.gamma_proj = nn.Linear(k, d, dtype=dtype)
        self.beta_proj = nn.Linear(k, d, dtype=dtype)
        self.load_state_dict({name: torch.from_numpy(np.asarray(v)).to(dtype) for name, v in state.items()})

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        x_hat = F.layer_norm(x, self.normalized, eps=self.eps)
        view = (x.shape[0],) + (1,) * (x.dim() - 1 - len(self.normalized)) + self.normalized
        return x_hat * self.gamma_proj(condition).view(view) + self.beta_proj(condition).view(view)


# ====================================================================== cases


@dataclass(frozen=True)
class Case(ModuleCase):
    label: str
    shape: int | tuple
    lead: tuple  # (batch, *middle dims)
    k: int
    data: str = "normal"  # normal | tiny_var | offset | constant
    eps: float | None = None
    dtype: str = "float32"
    condition: str = "normal"  # normal | onehot

    @property
    def rtol(self) -> float:
        base = 1e-4 if self.dtype == "float32" else 1e-9
        return base if self.data == "normal" else 10 * base

    def inputs(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        full = self.lead + self.normalized
        per_position = self.lead + (1,) * len(self.normalized)
        x = rng.uniform(-2, 2, per_position) + rng.uniform(0.5, 3.0, per_position) * rng.standard_normal(full)
        if self.data == "tiny_var":
            x = rng.uniform(-1, 1, per_position) + 1e-3 * rng.standard_normal(full)
        elif self.data == "offset":
            x = 1000.0 + rng.standard_normal(full)
        elif self.data == "constant":
            x = np.broadcast_to(rng.uniform(-3, 3, per_position), full).copy()
        batch = self.lead[0]
        c = np.eye(self.k)[rng.integers(0, self.k, batch)] if self.condition == "onehot" else rng.standard_normal((batch, self.k))
        return x.astype(self.dtype), c.astype(self.dtype)


# ====================================================================== judging


def assert_output_matches(got: Any, x: np.ndarray, c: np.ndarray, state: dict, case: Case, what: str) -> None:
    """The candidate's output against the formula, in float64, with the known mistakes named."""
    want = cln_forward(x, c, state, case.normalized, case.eps_value)
    assert_close(got, want, f"{what}: output", rtol=case.rtol, dtype=np.dtype(case.dtype),
                 diagnoses=cln_forward_diagnoses(x, c, state, case.normalized, case.eps_value))


def assert_state_dict_layout(got: dict[str, np.ndarray], names: list[str], normalized: tuple, k: int) -> None:
    """Exactly the four parameters of gamma_proj and beta_proj, registered, in nn.Linear's shapes."""
    expected = param_shapes(normalized, k)
    extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
    if missing or extra:
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
        hint = ""
        if any(name.endswith(("weight", "bias")) and "proj" not in name for name in extra):
            hint = (" — a LayerNorm with its own weight and bias adds a second, fixed scale and shift: normalize without "
                    "an affine (elementwise_affine=False), the projections provide it")
        elif missing:
            hint = " — name the two nn.Linear layers gamma_proj and beta_proj, as the spec says: the grader sets weights by name"
        raise CheckFailed(f"state_dict() keys should be {list(expected)}: {'; '.join(p for p in parts if p)}{hint}")
    not_trained = [name for name in expected if name not in names]
    if not_trained:
        raise CheckFailed(f"{not_trained} are in the state dict but not trainable parameters (registered as buffers, or "
                          "requires_grad=False?): the condition's influence has to be learned")
    for name, shape in expected.items():
        if got[name].shape != shape:
            hint = " (nn.Linear(condition_size, D) stores its weight as (D, condition_size))" if got[name].shape == shape[::-1] else ""
            raise CheckFailed(f"{name} has shape {got[name].shape}; nn.Linear({k}, {shape[0]}) gives {shape}{hint}")


def assert_identity_init(got: dict[str, np.ndarray], normalized: tuple, k: int) -> None:
    want = identity_state(normalized, k)
    meaning = {"gamma_proj.weight": "zeros", "gamma_proj.bias": "ones", "beta_proj.weight": "zeros", "beta_proj.bias": "zeros"}
    for name, value in want.items():
        if got[name].shape != value.shape or not np.array_equal(got[name], value):
            shown = np.asarray(got[name]).ravel()[:4]
            raise CheckFailed(
                f"{name} should start as {meaning[name]} (it starts as {shown}…): with gamma_proj.weight = 0, gamma_proj.bias = 1 "
                "and beta_proj all zeros, every condition gets gamma = 1 and beta = 0, and the layer starts as a plain LayerNorm"
            )


def assert_gradients_match(got: Any, want: Any, what: str, *, rtol: float) -> None:
    """Gradients of x, condition and the four parameters against the grader's module (ModuleRuns)."""
    for name, g, w in zip(("x", "condition"), got.input_grads, want.input_grads):
        if g is None:
            raise CheckFailed(f"{what}: {name} received no gradient (detached, or used through .data / .numpy()?)")
        assert_close(g, w, f"{what}: gradient of {name}", rtol=rtol)
    for name in PARAMS:
        if name not in got.param_grads:
            raise CheckFailed(f"{what}: no trainable parameter named {name!r} (got {sorted(got.param_grads)})")
        if got.param_grads[name] is None:
            raise CheckFailed(f"{what}: {name} received no gradient: it is not used in forward, or used detached")
        assert_close(got.param_grads[name], want.param_grads[name], f"{what}: gradient of {name}", rtol=rtol)


BROADCAST_HINT = (
    " — gamma_proj(condition) is (batch, D): for an x with middle dims, such as (batch, time, D), view it as "
    "(batch, 1, ..., 1, *normalized_shape) so that it broadcasts over them"
)


def run_cln(worker: Any, module: Any, x: np.ndarray, c: np.ndarray, *, grad: bool = False, **kwargs: Any) -> Any:
    """module(x, condition) in the worker, its output checked for x's shape, with the likely cause of a broadcast gone wrong."""
    from grader.kit.torch_kit import WrongOutputShape, run_module, tensor
    from grader.outcomes import CandidateRaised

    try:
        run = run_module(worker, module, tensor(x, grad=grad), tensor(c, grad=grad), **kwargs)
    except WrongOutputShape as wrong:  # no backward pass could run: say what the shape suggests
        _expect_shape(wrong.got, x)
        raise
    except CandidateRaised as raised:
        if "must match the size of tensor" in raised.message and x.ndim > 2:
            raise CandidateRaised(raised.message + BROADCAST_HINT) from None
        raise
    if isinstance(run.output, np.ndarray):
        _expect_shape(run.output.shape, x)
    return run


def _expect_shape(got: tuple, x: np.ndarray) -> None:
    if tuple(got) == x.shape:
        return
    hint = ""
    if len(got) == x.ndim + 1 and got[0] == x.shape[0] and got[1] == x.shape[0]:
        hint = (": gamma and beta got a middle dim that this x does not have (the number of 1s in their view is "
                "x.dim() - 1 - len(normalized_shape), 0 for a (batch, D) input), so (batch, 1, D) broadcast against (batch, D)")
    raise CheckFailed(f"forward returned shape {tuple(got)}; expected x's shape {x.shape}{hint}")
