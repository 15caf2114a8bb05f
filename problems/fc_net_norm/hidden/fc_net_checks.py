"""Checks for the fc_net_norm problem: CS231n's FullyConnectedNet with batch/layer normalization and dropout.

The candidate's network lives in the worker: `net = candidate.FullyConnectedNet(...)` is a RemoteObject,
`net.params = {...}` replaces its parameters there and `net.loss(X, y)` runs there. The suite always sets
the parameters itself after construction, so the candidate's net and the reference's compute the same
function, and it chooses them (with the inputs) so that no ReLU input sits near its kink.

What lives here:
- `NetCase`: one network configuration (widths, normalization, reg, dropout, dtype) and its parameters;
- `Model`/`Variant`: a small NumPy implementation of the network in the grader, with switches that
  reproduce the classic mistakes (a missing 0.5 in the L2 term, normalization after the ReLU, layernorm
  over the batch, test mode on batch statistics, eps folded into the running variance, a ReLU on the
  scores ...), used only to name a wrong answer, and only when its numbers are the candidate's;
- remote helpers (`RemoteNet`) that call the candidate's net and validate what comes back;
- `gradient_check`: central differences of the candidate's own loss along random directions, one
  direction per request pair, since the parameters live in the net and not in the call's arguments;
- `blobs` and `sgd`: a synthetic 3-class problem and plain SGD driven from the grader;
- `init_deviations`: how the initial parameters differ from the spec's draw (the dropout mask is read in
  dropout_reading.py beside it, the training loss described in grader/kit/loss_trend.py);
- `speed_workload`: the workload of the speed row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.core.candidate import RemoteObject
from grader.kit.compare import assert_close, describe, expect_array, sentence
from grader.kit.workload import Workload
from grader.outcomes import CheckFailed

NORMS = (None, "batchnorm", "layernorm")


def norm_name(normalization: str | None) -> str:
    return normalization or "no normalization"


# ====================================================================== configurations
@dataclass(frozen=True)
class NetCase:
    """One network: {affine - [norm] - relu - [dropout]} x len(hidden) - affine - softmax."""

    name: str
    hidden: tuple[int, ...] = (20, 30)
    input_dim: int = 15
    classes: int = 10
    n: int = 5
    normalization: str | None = None
    reg: float = 0.0
    dropout: float = 1.0
    seed: int | None = None
    dtype: str = "float64"
    image: tuple[int, ...] | None = None  # X of shape (n, *image), prod(image) == input_dim
    weight_scale: float = 5e-2

    @property
    def label(self) -> str:
        parts = [self.name] if self.name else []
        parts.append(norm_name(self.normalization))
        if self.reg:
            parts.append(f"reg={self.reg:g}")
        if self.dropout != 1:
            parts.append(f"dropout={self.dropout:g}")
        if self.dtype != "float64":
            parts.append(self.dtype)
        return ", ".join(parts)

    @property
    def layers(self) -> int:
        return len(self.hidden) + 1

    @property
    def dims(self) -> list[int]:
        return [self.input_dim, *self.hidden, self.classes]

    @property
    def np_dtype(self) -> type:
        return np.dtype(self.dtype).type

    def ctor_args(self) -> tuple[tuple, dict]:
        return (list(self.hidden),), {
            "input_dim": self.input_dim,
            "num_classes": self.classes,
            "dropout": self.dropout,
            "normalization": self.normalization,
            "reg": self.reg,
            "weight_scale": self.weight_scale,
            "dtype": self.np_dtype,
            "seed": self.seed,
        }

    def ctor_text(self) -> str:
        _, kw = self.ctor_args()
        shown = ", ".join(f"{k}={'np.' + self.dtype if k == 'dtype' else repr(v)}" for k, v in kw.items())
        return f"FullyConnectedNet({list(self.hidden)}, {shown})"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        dims = self.dims
        for i in range(1, self.layers + 1):
            shapes[f"W{i}"] = (dims[i - 1], dims[i])
            shapes[f"b{i}"] = (dims[i],)
            if self.normalization and i < self.layers:
                shapes[f"gamma{i}"] = (dims[i],)
                shapes[f"beta{i}"] = (dims[i],)
        return shapes

    def backward_order(self) -> list[str]:
        """Parameter names from the output back to the input: the order gradients are computed in."""
        names = []
        for i in range(self.layers, 0, -1):
            if self.normalization and i < self.layers:
                names += [f"gamma{i}", f"beta{i}"]
            names += [f"W{i}", f"b{i}"]
        return names

    # ------------------------------------------------------------------ random draws
    def draw_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Activations of order 1 at every layer, non-uniform gamma and beta, non-zero biases."""
        dims, params = self.dims, {}
        for i in range(1, self.layers + 1):
            gain = np.sqrt(2.0) if i > 1 else 1.0
            params[f"W{i}"] = rng.normal(0.0, gain / np.sqrt(dims[i - 1]), (dims[i - 1], dims[i]))
            params[f"b{i}"] = rng.normal(0.0, 0.3, dims[i])
            if self.normalization and i < self.layers:
                params[f"gamma{i}"] = rng.normal(1.0, 0.3, dims[i])
                params[f"beta{i}"] = rng.normal(0.0, 0.4, dims[i])
        return {k: v.astype(self.dtype) for k, v in params.items()}

    def draw_x(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        shape = (n or self.n,) + (self.image or (self.input_dim,))
        return rng.normal(0.0, 1.0, shape).astype(self.dtype)

    def draw_y(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        return rng.integers(0, self.classes, n or self.n)

    def smooth_inputs(
        self, rng: np.random.Generator, margin: float = 2e-3, tries: int = 200
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Parameters and a batch with every ReLU input at least `margin` away from 0 in train mode.

        Central differences across a ReLU kink are wrong for a correct network, so the inputs of a
        gradient check must keep away from them. With dropout the later layers' ReLU inputs depend on the
        candidate's random masks, so there every unit of layer 2 onwards is kept on: with batchnorm over n
        examples |x_hat| <= sqrt(n - 1), and beta is set above gamma * sqrt(n - 1).
        """
        for _ in range(tries):
            params, x, y = self.draw_params(rng), self.draw_x(rng), self.draw_y(rng)
            if self.dropout != 1:
                bound = np.sqrt(self.n - 1) * 1.25
                for i in range(2, self.layers):
                    params[f"gamma{i}"] = np.abs(params[f"gamma{i}"]) + 0.2
                    params[f"beta{i}"] = params[f"gamma{i}"] * bound
            if Model(self).relu_margin(params, x) >= margin:
                return params, x, y
        raise RuntimeError("no kink-free inputs found")  # pragma: no cover - a bug in the suite


# ====================================================================== a model of the net, right and wrong
@dataclass(frozen=True)
class Variant:
    """How an implementation behaves; the defaults are the spec's. Each field is one classic mistake."""

    reg_loss: float = 0.5  # loss += reg_loss * reg * sum(W**2)
    reg_grad: float = 1.0  # grads[W] += reg_grad * reg * W
    reg_keys: str = "W"  # W | W+b | W+norm | all | hidden W | last W: which parameters are regularized
    norm_after_relu: bool = False
    relu_on_scores: bool = False  # the last affine layer followed by a ReLU like the hidden ones
    norm_axis_swap: bool = False  # batchnorm over features / layernorm over the batch
    test_batch_stats: bool = False
    test_no_affine: bool = False
    running_eps: bool = False  # eps folded into the stored running variance
    momentum_swapped: bool = False
    running_ddof: int = 0
    running_var_start: float = 0.0
    ignore_settings: bool = False  # bn_param's eps and momentum ignored: the defaults always
    shared_state: bool = False  # one bn_param dict for every layer
    default_eps: float = 1e-5  # used when bn_param / ln_param has no 'eps'
    default_momentum: float = 0.9  # used when bn_param has no 'momentum'


CORRECT = Variant()


def _regularized(variant: Variant, name: str, layers: int) -> bool:
    kind = name.rstrip("0123456789")
    if variant.reg_keys == "all":
        return True
    if variant.reg_keys == "W+b":
        return kind in ("W", "b")
    if variant.reg_keys == "W+norm":
        return kind in ("W", "gamma", "beta")
    if variant.reg_keys == "hidden W":
        return kind == "W" and name != f"W{layers}"
    if variant.reg_keys == "last W":
        return name == f"W{layers}"
    return kind == "W"


@dataclass
class ModelRun:
    scores: np.ndarray
    loss: float | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    bn_params: list[dict] = field(default_factory=list)
    relu_inputs: list[np.ndarray] = field(default_factory=list)


class Model:
    """The network computed in the grader in float64, optionally with a classic mistake (`Variant`)."""

    def __init__(self, case: NetCase, variant: Variant = CORRECT) -> None:
        self.case, self.v = case, variant

    def fresh_bn_params(self) -> list[dict]:
        if self.case.normalization == "batchnorm":
            return [{"mode": "train"} for _ in self.case.hidden]
        return [{} for _ in self.case.hidden] if self.case.normalization else []

    def run(self, params: dict, x: np.ndarray, y: np.ndarray | None, bn_params: list[dict] | None = None) -> ModelRun:
        """loss(X, y) of the network; bn_params (copied, not modified) is the state before the call."""
        case, v = self.case, self.v
        mode = "test" if y is None else "train"
        state = [dict(d) for d in (self.fresh_bn_params() if bn_params is None else bn_params)]
        if v.shared_state and state:
            state = [state[0]] * len(state)
        p = {k: np.asarray(val, dtype=np.float64) for k, val in params.items()}
        h = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        tape: list[tuple[str, Any]] = []
        relu_inputs = []
        for i in range(1, case.layers):
            ops = ["affine", "relu"]
            if case.normalization:
                ops.insert(2 if v.norm_after_relu else 1, "norm")
            for op in ops:
                if op == "affine":
                    tape.append(("affine", (i, h)))
                    h = h @ p[f"W{i}"] + p[f"b{i}"]
                elif op == "norm":
                    h, cache = self._norm(h, p[f"gamma{i}"], p[f"beta{i}"], state[i - 1], mode)
                    tape.append(("norm", (i, cache)))
                else:
                    relu_inputs.append(h)
                    tape.append(("relu", h))
                    h = np.maximum(h, 0.0)
        last = case.layers
        tape.append(("affine", (last, h)))
        scores = h @ p[f"W{last}"] + p[f"b{last}"]
        if v.relu_on_scores:
            tape.append(("relu", scores))
            scores = np.maximum(scores, 0.0)
        result = ModelRun(scores, bn_params=state, relu_inputs=relu_inputs)
        if y is None:
            return result

        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = len(scores)
        loss = -log_probs[np.arange(n), y].mean()
        grad = np.exp(log_probs)
        grad[np.arange(n), y] -= 1.0
        grad /= n
        grads: dict[str, np.ndarray] = {}
        for op, cache in reversed(tape):
            if op == "affine":
                i, inp = cache
                grads[f"W{i}"], grads[f"b{i}"] = inp.T @ grad, grad.sum(axis=0)
                grad = grad @ p[f"W{i}"].T
            elif op == "relu":
                grad = grad * (cache > 0)
            else:
                i, (x_hat, gamma, rstd, axis) = cache
                grads[f"gamma{i}"], grads[f"beta{i}"] = (grad * x_hat).sum(axis=0), grad.sum(axis=0)
                dx_hat = grad * gamma
                grad = dx_hat - dx_hat.mean(axis=axis, keepdims=True)
                grad = rstd * (grad - x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True))
        for name in list(grads):
            if case.reg and _regularized(v, name, last):
                loss += v.reg_loss * case.reg * float(np.sum(p[name] ** 2))
                grads[name] = grads[name] + v.reg_grad * case.reg * p[name]
        result.loss, result.grads = float(loss), grads
        return result

    def _norm(self, a: np.ndarray, gamma: np.ndarray, beta: np.ndarray, param: dict, mode: str) -> tuple[np.ndarray, Any]:
        v = self.v
        eps = v.default_eps if v.ignore_settings else param.get("eps", v.default_eps)
        if self.case.normalization == "layernorm":
            axis = 0 if v.norm_axis_swap else 1
            x_hat, _, _, rstd = _standardize(a, axis, eps)
            return x_hat * gamma + beta, (x_hat, gamma, rstd, axis)
        momentum = v.default_momentum if v.ignore_settings else param.get("momentum", v.default_momentum)
        if v.momentum_swapped:
            momentum = 1.0 - momentum
        d = a.shape[1]
        running_mean = np.asarray(param.get("running_mean", np.zeros(d)), dtype=np.float64)
        running_var = np.asarray(param.get("running_var", np.full(d, v.running_var_start)), dtype=np.float64)
        axis = 1 if v.norm_axis_swap else 0
        cache = None
        if mode == "train" or v.test_batch_stats:
            x_hat, _, _, rstd = _standardize(a, axis, eps)
            cache = (x_hat, gamma, rstd, axis)
        else:
            x_hat = (a - running_mean) / np.sqrt(running_var + eps)
        if mode == "train":
            n = a.shape[0]
            mu, var = a.mean(axis=0), a.var(axis=0)
            if v.running_ddof:
                var = var * n / (n - v.running_ddof)
            if v.running_eps:
                var = var + eps
            param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
            param["running_var"] = momentum * running_var + (1 - momentum) * var
        out = x_hat if (mode == "test" and v.test_no_affine) else x_hat * gamma + beta
        return out, cache

    def relu_margin(self, params: dict, x: np.ndarray) -> float:
        run = self.run(params, x, np.zeros(len(x), dtype=int))
        return min(float(np.min(np.abs(r))) for r in run.relu_inputs) if run.relu_inputs else np.inf


def _standardize(a: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    mu = a.mean(axis=axis, keepdims=True)
    var = a.var(axis=axis, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    return (a - mu) * rstd, mu, var, rstd


# ---------------------------------------------------------------------- the named mistakes
REG_MISTAKES = {
    "the L2 term has no 0.5 factor: the spec's loss adds 0.5 * reg * sum(W**2), whose gradient is reg * W": Variant(
        reg_loss=1.0, reg_grad=2.0
    ),
    "the L2 term in the loss has no 0.5 factor (the spec's is 0.5 * reg * sum(W**2))": Variant(reg_loss=1.0),
    "the L2 gradient is 2 * reg * W; the gradient of 0.5 * reg * sum(W**2) is reg * W": Variant(reg_grad=2.0),
    "the L2 gradient reg * W is missing from grads": Variant(reg_grad=0.0),
    "the L2 term is missing from the loss": Variant(reg_loss=0.0),
    "gamma and beta were regularized too; only the weights W1 ... WL are": Variant(reg_keys="W+norm"),
    "the biases were regularized too; only the weights W1 ... WL are": Variant(reg_keys="W+b"),
    "every parameter was regularized; only the weights W1 ... WL are": Variant(reg_keys="all"),
    "the last layer's weights were not regularized": Variant(reg_keys="hidden W"),
    "only the last layer's weights were regularized": Variant(reg_keys="last W"),
}
OUTPUT_MISTAKES = {
    "a ReLU was applied to the scores: the last affine layer's output goes to the softmax as it is": Variant(
        relu_on_scores=True
    ),
}
PLACEMENT_MISTAKES = {
    "the normalization comes after the ReLU; the order is affine → norm → ReLU": Variant(norm_after_relu=True),
}
AXIS_MISTAKES = {
    "batchnorm": {
        "batchnorm normalized each example over its features (axis 1), which is layernorm; batchnorm normalizes "
        "each feature over the batch (axis 0)": Variant(norm_axis_swap=True)
    },
    "layernorm": {
        "layernorm normalized each feature over the batch (axis 0), which is batchnorm; layernorm normalizes "
        "each example over its features (axis 1)": Variant(norm_axis_swap=True)
    },
}
RUNNING_MISTAKES = {
    "test mode normalized with the batch's own statistics; it must use running_mean and running_var": Variant(
        test_batch_stats=True
    ),
    "test mode left out gamma and beta: out = gamma * x_hat + beta in test mode too": Variant(test_no_affine=True),
    "eps was added into the stored running variance (and then again at test time)": Variant(running_eps=True),
    "the momentum is the wrong way round: running = momentum * running + (1 - momentum) * batch statistic": Variant(
        momentum_swapped=True
    ),
    "the running variance was updated with the unbiased variance (ddof=1); use the biased one (ddof=0), as in "
    "training": Variant(running_ddof=1),
    "running_var started at ones; when bn_param has no running_var it starts at zeros": Variant(running_var_start=1.0),
    "every normalization layer used the same bn_param dict (self.bn_params[0], or a list built as [{...}] * n); "
    "layer i needs its own, self.bn_params[i - 1]": Variant(shared_state=True),
}
SETTINGS_MISTAKES = {
    "batchnorm": {
        "bn_param's eps and momentum were ignored: read them with bn_param.get('eps', 1e-5) and "
        "bn_param.get('momentum', 0.9)": Variant(ignore_settings=True),
    },
    "layernorm": {
        "ln_param's eps was ignored: pass self.bn_params[i - 1] to layernorm_forward as its ln_param and read "
        "ln_param.get('eps', 1e-5)": Variant(ignore_settings=True),
    },
}


DEFAULT_MISTAKES = {
    "the default eps is 1e-8 (or 0); when the param dict has no 'eps' it is 1e-5": Variant(default_eps=1e-8),
    **{
        f"the default eps is {eps:g}; when the param dict has no 'eps' it is 1e-5": Variant(default_eps=eps)
        for eps in (1e-6, 1e-4, 1e-3)
    },
    "the default momentum is 0.99; when bn_param has no 'momentum' it is 0.9": Variant(default_momentum=0.99),
}


def mistakes_for(case: NetCase, *, running: bool = False, settings: bool = False) -> dict[str, Variant]:
    found = dict(OUTPUT_MISTAKES)
    if case.reg:
        found.update(REG_MISTAKES)
    if case.normalization:
        found.update(PLACEMENT_MISTAKES)
        found.update(AXIS_MISTAKES[case.normalization])
        found.update(DEFAULT_MISTAKES)
        if settings:
            found.update(SETTINGS_MISTAKES[case.normalization])
    if running and case.normalization == "batchnorm":
        found.update(RUNNING_MISTAKES)
    return found


# ====================================================================== the candidate's net, behind the boundary
class RemoteNet:
    """The candidate's FullyConnectedNet in the worker, with what comes back checked on the way."""

    def __init__(self, candidate: Any, case: NetCase) -> None:
        self.case = case
        args, kwargs = case.ctor_args()
        self.net = candidate.FullyConnectedNet(*args, **kwargs)
        if not isinstance(self.net, RemoteObject):
            raise CheckFailed(f"FullyConnectedNet(...) should create an object; got {describe(self.net)}")
        self._loss: Any = None

    # ------------------------------------------------------------------ parameters and state
    def params(self) -> dict[str, Any]:
        params = self.net.params
        if not isinstance(params, dict):
            raise CheckFailed(f"net.params must be a dict of arrays; it is {describe(params)}")
        return params

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        self.net.params = {k: v.copy() for k, v in params.items()}

    def bn_params(self) -> list[dict]:
        value = self.net.bn_params
        if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
            raise CheckFailed(
                f"net.bn_params must be a list of dicts, one per normalization layer; it is {describe(value)}"
            )
        if len(value) != len(self.case.hidden):
            raise CheckFailed(
                f"net.bn_params must hold one dict per hidden layer ({len(self.case.hidden)}); it holds {len(value)}"
            )
        return value

    def set_bn_params(self, bn_params: list[dict]) -> None:
        self.net.bn_params = [dict(d) for d in bn_params]

    # ------------------------------------------------------------------ loss
    @property
    def loss_fn(self) -> Any:
        if self._loss is None:
            self._loss = self.net.loss
        return self._loss

    def train(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """loss(X, y): (loss, grads), validated as the spec says."""
        return self.check_train_result(self.loss_fn(x, y))

    def check_train_result(self, value: Any) -> tuple[float, dict[str, np.ndarray]]:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise CheckFailed(f"loss(X, y) must return (loss, grads); it returned {describe(value)}")
        loss, grads = value
        loss = as_scalar(loss, "the loss returned by loss(X, y)")
        if not isinstance(grads, dict):
            raise CheckFailed(f"loss(X, y) must return grads as a dict; it returned {describe(grads)}")
        return loss, grads

    def scores(self, x: np.ndarray) -> np.ndarray:
        """loss(X) with y omitted: the scores, test mode."""
        value = self.loss_fn(x)
        return expect_array(value, "loss(X) (test mode: the scores)", shape=(len(x), self.case.classes))

    def loss_value(self, x: np.ndarray, y: np.ndarray) -> float:
        """loss(X, y)'s loss alone, for the gradient check's hundreds of evaluations of it: the grads dict stays
        in the worker, where encoding it, and decoding and checking it here, would cost more than the call.
        Callers check one whole result with `train` first; a result that is no pair is still named as such."""
        result = self.loss_fn.run(x, y, select=0)
        if not result.selected:
            return self.check_train_result(result.value)[0]
        return as_scalar(result.value, "the loss returned by loss(X, y)")


def as_scalar(value: Any, what: str) -> float:
    if isinstance(value, np.ndarray) and value.size == 1 and value.ndim <= 1:
        value = value.reshape(())[()]
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        result = float(value)
        if not np.isfinite(result):
            raise CheckFailed(f"{what} is {result}")
        return result
    raise CheckFailed(f"{what} must be a number; it is {describe(value)}")


def check_grad_keys(grads: dict, case: NetCase) -> None:
    """grads has a gradient for every parameter, shaped like it (extra entries are ignored)."""
    shapes = case.param_shapes()
    missing = [k for k in shapes if k not in grads]
    if missing:
        keys = ", ".join(sorted(str(k) for k in grads))
        raise CheckFailed(
            f"grads must hold a gradient for every parameter ({', '.join(shapes)}): missing {', '.join(missing)} "
            f"(grads has {keys or 'no entries'})"
        )
    for name, shape in shapes.items():
        expect_array(grads[name], f"grads[{name!r}]", shape=shape)


def init_deviations(params: dict[str, Any], case: NetCase) -> list[str]:
    """How the initial parameters differ from the spec's draw (W ~ N(0, weight_scale²), b and beta 0, gamma 1).

    Parameters that are missing or of another shape are left to the contract rows that check them.
    """
    found = []
    for name, shape in case.param_shapes().items():
        value = params.get(name)
        if not isinstance(value, np.ndarray) or value.shape != shape:
            continue
        value = value.astype(np.float64)
        kind = name.rstrip("0123456789")
        if kind == "W":
            spread, mean, scale = float(np.std(value)), float(np.mean(value)), case.weight_scale
            if not 0.8 * scale <= spread <= 1.2 * scale or abs(mean) > 0.2 * scale:
                found.append(
                    f"params[{name!r}] should be drawn from a normal distribution with mean 0 and standard deviation "
                    f"weight_scale={scale:g}; its values have mean {mean:.3g} and standard deviation {spread:.3g}"
                )
        else:
            want = {"b": 0.0, "beta": 0.0, "gamma": 1.0}[kind]
            if not np.all(value == want):
                found.append(
                    f"params[{name!r}] should start at {want:g} everywhere; got values from {value.min():.3g} to {value.max():.3g}"
                )
    return found


def agreement(agreed: list[str], name: str) -> str:
    """Where a backward pass goes wrong: the gradients nearer the output agree, `name` is the first that does not."""
    if not agreed:
        return ""
    return (
        f" The gradients nearer the output ({', '.join(agreed)}) agree, so the backward pass goes wrong between "
        f"them and {name}."
    )


def compare_grads(
    got: dict, want: dict, case: NetCase, rtol: float, diagnoses: dict[str, dict[str, Callable]] | None = None
) -> None:
    """Each gradient against the expected one, from the output backwards: the first one off is named."""
    check_grad_keys(got, case)
    agreed: list[str] = []
    for name in case.backward_order():
        try:
            assert_close(
                got[name], want[name], f"grads[{name!r}]", rtol=rtol, dtype=case.dtype, diagnoses=(diagnoses or {}).get(name)
            )
        except CheckFailed as failure:
            raise CheckFailed(f"{sentence(failure.message)}{agreement(agreed, name)}") from None
        agreed.append(name)


# ====================================================================== reference and mistakes, in the grader
def reference_net(reference: Any, case: NetCase, params: dict, bn_params: list[dict] | None = None) -> Any:
    args, kwargs = case.ctor_args()
    state = np.random.get_state()
    try:
        net = reference.FullyConnectedNet(*args, **kwargs)
    finally:
        np.random.set_state(state)  # the reference's initial draw must not shift anyone's random numbers
    net.params = {k: v.copy() for k, v in params.items()}
    if bn_params is not None:
        net.bn_params = [dict(d) for d in bn_params]
    return net


def model_diagnoses(
    case: NetCase, variants: dict[str, Variant], params: dict, steps: list[tuple[np.ndarray, np.ndarray | None]],
    bn_params: list[dict] | None = None,
) -> list[tuple[str, Callable[[], ModelRun]]]:
    """For each named mistake, a lazily computed run of the same calls (the last call's result matters)."""

    def make(variant: Variant) -> Callable[[], ModelRun]:
        memo: list[ModelRun] = []

        def go() -> ModelRun:
            if not memo:
                model, state, run = Model(case, variant), bn_params, None
                for x, y in steps:
                    run = model.run(params, x, y, state)
                    state = run.bn_params
                memo.append(run)
            return memo[0]

        return go

    return [(label, make(variant)) for label, variant in variants.items()]


def pick(runs: list[tuple[str, Callable[[], ModelRun]]], getter: Callable[[ModelRun], Any]) -> dict[str, Callable[[], Any]]:
    return {label: (lambda run=run: getter(run())) for label, run in runs}


# ====================================================================== gradient check
STEP = 1e-5
# The error is |a - n| / max(|a| + |n|, GRAD_FLOOR * (1 + |loss|)). Rounding a loss value costs about
# 1e-16 * |loss|, so a central difference carries noise of about 1e-11 * |loss|; the floor keeps a
# gradient that is exactly 0 (the bias in front of a batchnorm layer) from being judged on that noise.
GRAD_FLOOR = 1e-3


@dataclass
class ParamCheck:
    name: str
    error: float
    analytic: float
    numeric: float


def directional_check(
    net: RemoteNet, params: dict, x: np.ndarray, y: np.ndarray, loss: float, grads: dict, rng: np.random.Generator,
    directions: int = 2, h: float = STEP,
) -> list[ParamCheck]:
    """For each parameter, d loss / d t at t = 0 of loss(params[name] + t * v) along random unit v.

    Central differences of the candidate's own loss against sum(grads[name] * v). One direction costs two
    loss calls (the parameters live in the net, so each evaluation sets them first).
    """
    found = []
    for name in net.case.backward_order():
        worst: ParamCheck | None = None
        for _ in range(directions):
            v = rng.standard_normal(params[name].shape)
            v /= np.linalg.norm(v)
            losses = []
            for sign in (1.0, -1.0):
                moved = dict(params)
                moved[name] = params[name] + sign * h * v
                net.set_params(moved)
                losses.append(net.loss_value(x, y))
            numeric = (losses[0] - losses[1]) / (2 * h)
            analytic = float(np.sum(np.asarray(grads[name], dtype=np.float64) * v))
            err = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), GRAD_FLOOR * (1 + abs(loss)))
            if worst is None or not err <= worst.error:  # a NaN error is the worst
                worst = ParamCheck(name, err, analytic, numeric)
        found.append(worst)
    net.set_params(params)
    return found


def coordinate_errors(
    net: RemoteNet, params: dict, x: np.ndarray, y: np.ndarray, grad: np.ndarray, name: str, rng: np.random.Generator,
    count: int = 12, h: float = STEP,
) -> tuple[tuple[int, ...], float, float, float]:
    """Central differences at `count` coordinates of one parameter: the worst (index, error, analytic, numeric)."""
    size = params[name].size
    chosen = rng.choice(size, size=min(count, size), replace=False)
    worst = ((), -1.0, 0.0, 0.0)
    for flat in chosen:
        values = []
        for sign in (1.0, -1.0):
            moved = dict(params)
            arr = params[name].copy()
            arr.reshape(-1)[flat] += sign * h
            moved[name] = arr
            net.set_params(moved)
            values.append(net.loss_value(x, y))
        numeric = (values[0] - values[1]) / (2 * h)
        analytic = float(np.asarray(grad, dtype=np.float64).reshape(-1)[flat])
        err = abs(analytic - numeric) / max(1e-8, abs(analytic) + abs(numeric))
        if not err <= worst[1]:  # a NaN error is the worst
            worst = (tuple(int(i) for i in np.unravel_index(flat, params[name].shape)), err, analytic, numeric)
    net.set_params(params)
    return worst


def gradient_check(
    net: RemoteNet, params: dict, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, threshold: float
) -> float:
    """The candidate's grads against central differences of its own loss; returns the worst relative error."""
    net.set_params(params)
    loss, grads = net.train(x, y)
    check_grad_keys(grads, net.case)
    for name in net.case.param_shapes():
        if not np.all(np.isfinite(grads[name])):
            raise CheckFailed(f"grads[{name!r}] contains NaN or inf")
    again = net.loss_value(x, y)
    if again != loss:
        hint = (
            " With a seed, dropout must draw the same mask on every call (reseed from dropout_param['seed'] in "
            "every forward pass, as the stub's dropout_forward does)."
            if net.case.dropout != 1
            else " Nothing in a train-mode forward pass may depend on earlier calls (running averages are only "
            "used in test mode)."
        )
        raise CheckFailed(f"two identical calls of loss(X, y) gave different losses ({loss!r} and {again!r}).{hint}")
    results = directional_check(net, params, x, y, loss, grads, rng)
    if all(r.numeric == 0.0 for r in results):
        # A loss that ignores every parameter makes all-zero grads "agree": a check that cannot fail. (One
        # parameter alone may have no effect: an affine bias right before a batch norm.)
        raise CheckFailed(
            "central differences of your loss are zero along every direction tried: the loss does not change when "
            "any parameter does, so there is no gradient to check your grads against (the forward pass is wrong)"
        )
    bad = [r for r in results if not r.error <= threshold]  # NaN fails too
    if bad:
        first = bad[0]
        agreed = [r.name for r in results[: results.index(first)]]
        index, err, a, n = coordinate_errors(net, params, x, y, grads[first.name], first.name, rng)
        where = (
            f"; at {first.name}{index}: backward gave {a:.6g}, central differences give {n:.6g} (relative error {err:.1e})"
            if err > threshold
            else ""
        )
        chain = agreement(agreed, first.name)
        raise CheckFailed(
            f"grads[{first.name!r}] disagrees with central differences of your loss: along a random direction "
            f"the loss changes at {first.numeric:.6g} per unit step, your gradient says {first.analytic:.6g} "
            f"(relative error {first.error:.1e}, threshold {threshold:.0e}){where}.{chain}"
        )
    return max(r.error for r in results)


# ====================================================================== training
def blobs(rng: np.random.Generator, n: int, dim: int = 10, classes: int = 3, distance: float = 6.0) -> tuple:
    """Gaussian blobs with unit noise around centers `distance` apart: nearly separable, chance is 1/classes."""
    centers = rng.standard_normal((classes, dim))
    for _ in range(100):
        gaps = [np.linalg.norm(a - b) for i, a in enumerate(centers) for b in centers[i + 1 :]]
        if min(gaps) >= distance:
            break
        centers *= 1.2
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, dim))
    return x, y


def sgd(
    net: RemoteNet, params: dict, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, epochs: int, batch: int,
    lr: float,
) -> tuple[dict, list[float]]:
    """Plain SGD: params[k] -= lr * grads[k], the parameters set in the net before every step."""
    params = {k: v.copy() for k, v in params.items()}
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch + 1, batch):
            idx = order[start : start + batch]
            net.set_params(params)
            loss, grads = net.train(x[idx], y[idx])
            check_grad_keys(grads, net.case)
            losses.append(loss)
            params = {k: v - lr * np.asarray(grads[k], dtype=v.dtype) for k, v in params.items()}
    net.set_params(params)
    return params, losses


# ====================================================================== speed
def speed_workload(hidden: tuple[int, ...]) -> Workload:
    """A batchnorm net and a layernorm net, each loss(X, y) once (forward and backward) per timed run.

    The nets are built and given parameters drawn in the grader before the timed calls, so every side's
    nets compute the same function and only the loss calls are timed. The first hidden layer narrows for
    very wide inputs, so that the parameters stay small next to X.
    """

    def cases(n: int, d: int) -> list[NetCase]:
        width = min(hidden[0], d, 16384 // d)
        return [NetCase("speed", (width, *hidden[1:]), input_dim=d, n=n, normalization=norm) for norm in ("batchnorm", "layernorm")]

    def setup(rng: np.random.Generator, n: int, d: int) -> tuple:
        return (rng.standard_normal((n, d)), rng.integers(0, 10, n), *[case.draw_params(rng) for case in cases(n, d)])

    def prepare(impl: Any, x: Any, y: Any, *params: Any) -> tuple:
        nets = []
        for case, values in zip(cases(*x.shape), params):
            args, kwargs = case.ctor_args()
            net = impl.FullyConnectedNet(*args, **kwargs)
            net.params = values
            nets.append(net)
        return tuple(nets)

    def run(impl: Any, x: Any, y: Any, *rest: Any) -> list:
        return [net.loss(x, y) for net in rest[len(rest) // 2 :]]

    return Workload(setup, run, prepare)
